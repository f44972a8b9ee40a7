// Security headers (src/manager/api/security-headers.ts) and the locally served API docs
// (src/manager/api/handlers/api-docs.ts) on a real Manager with the dashboard (Bun.serve).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CONTENT_SECURITY_POLICY } from "../../../src/manager/api/security-headers";
import { startTestManager, type TestManager } from "../../support/manager";

let m: TestManager;

beforeAll(async () => {
  m = await startTestManager({ web: true });
});
afterAll(() => m.destroy());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${m.url}${path}`, { headers });

function expectSecurityHeaders(res: Response): void {
  expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
}

describe("security headers", () => {
  test("the policy allows no inline or foreign script, and no framing", () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1)] as const),
    );
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("default-src")).toEqual(["'self'"]);
    expect(directives.get("object-src")).toEqual(["'none'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(directives.get("base-uri")).toEqual(["'none'"]);
  });

  test("the dashboard page and every one of its assets carry them", async () => {
    const index = await get("/app/");
    expect(index.headers.get("content-type")).toStartWith("text/html");
    expectSecurityHeaders(index);
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/app\/[^"]+)"/g)].map(([, ref]) => ref!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const res = await get(asset);
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
    }
    expectSecurityHeaders(await get("/app/jobs"));
  });

  test("API answers carry them too: JSON, errors, 404s and redirects", async () => {
    const version = await get("/api/v3/version");
    expect(version.status).toBe(200);
    expectSecurityHeaders(version);
    const missing = await get("/api/v3/jobs/00000000-0000-0000-0000-000000000000");
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing);
    const badId = await get("/api/v3/jobs/not-a-uuid");
    expect(badId.status).toBe(400);
    expectSecurityHeaders(badId);
    const noRoute = await get("/no/such/route");
    expect(noRoute.status).toBe(404);
    expectSecurityHeaders(noRoute);
    const redirect = await fetch(`${m.url}/`, { redirect: "manual" });
    expect(redirect.status).toBe(307);
    expectSecurityHeaders(redirect);
  });
});

describe("API docs", () => {
  test("the page loads Scalar from this Manager, configured by data attributes, without inline script", async () => {
    const res = await get("/api/v3/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    expectSecurityHeaders(res);
    const html = await res.text();
    expect(html).toContain('data-url="/api/v3/openapi3.json"');
    expect(html).toContain('<script src="/api/v3/docs/standalone.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    // Every script element either loads a file or is the empty configuration element.
    for (const [, attributes, content] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(content!.trim()).toBe("");
      expect(attributes).toMatch(/\bsrc="|id="api-reference"/);
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  test("Scalar's bundle is served from the npm package, and revalidated with an ETag", async () => {
    const res = await get("/api/v3/docs/standalone.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/javascript");
    expectSecurityHeaders(res);
    const body = await res.text();
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(body).toContain("api-reference");
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get("/api/v3/docs/standalone.js", { "if-none-match": etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const stale = await get("/api/v3/docs/standalone.js", { "if-none-match": '"stale"' });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });
});
