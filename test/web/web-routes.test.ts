// The dashboard's build (src/manager/web-assets.ts) and how the Manager serves it
// (src/manager/api/handlers/web.ts), on a real Hono app.
import { beforeAll, describe, expect, test } from "bun:test";
import { registerWebRoutes } from "../../src/manager/api/handlers/web";
import { createApiApp, type ApiApp } from "../../src/manager/api/http";
import { buildWebAssets, type WebAsset } from "../../src/manager/web-assets";

let assets: Map<string, WebAsset>;
let app: ApiApp;

beforeAll(async () => {
  assets = await buildWebAssets();
  app = createApiApp(() => {});
  registerWebRoutes(app, assets);
});

const text = (a: WebAsset) => new TextDecoder().decode(a.body);

describe("buildWebAssets", () => {
  test("index.html loads a hashed, minified script and stylesheet that are part of the build", () => {
    const html = text(assets.get("/app/index.html")!);
    const refs = [...html.matchAll(/(?:src|href)="(\/app\/[^"]+)"/g)].flatMap(([, ref]) => ref ?? []);
    expect(refs.some((r) => r.endsWith(".js"))).toBe(true);
    expect(refs.some((r) => r.endsWith(".css"))).toBe(true);
    for (const r of refs) {
      expect(assets.has(r)).toBe(true);
      expect(r).toMatch(/-[a-z0-9]{8,}\.(js|css)$/);
    }
    const js = [...assets].find(([k]) => k.endsWith(".js"))!;
    expect(js[1].type).toStartWith("text/javascript");
    // Minified: no indentation-heavy lines, and no server-side code was pulled in.
    expect(text(js[1]).split("\n").length).toBeLessThan(20);
    expect(text(js[1])).not.toContain("drizzle");
  });
});

describe("registerWebRoutes", () => {
  test("/ and /app redirect to /app/ with 307", async () => {
    for (const path of ["/", "/app"]) {
      const res = await app.request(path);
      expect(res.status).toBe(307);
      expect(res.headers.get("location")).toBe("/app/");
    }
  });

  test("/app/ and client-side routes get index.html, not cached", async () => {
    const index = text(assets.get("/app/index.html")!);
    for (const path of [
      "/app/",
      "/app/jobs",
      "/app/jobs/b6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d",
      "/app/workers/x",
    ]) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/html");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toBe(index);
    }
  });

  test("hashed assets are served with their type and cached for good", async () => {
    const [path, asset] = [...assets].find(([k]) => k.endsWith(".css"))!;
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(asset.type);
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(asset.body);
  });

  test("a missing file under /app/ is a 404 with the Error body, not HTML", async () => {
    const res = await app.request("/app/index-00000000.js");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: "no such file: /app/index-00000000.js" });
  });

  test("refuses an asset map without index.html", () => {
    expect(() =>
      registerWebRoutes(
        createApiApp(() => {}),
        new Map(),
      ),
    ).toThrow(/index\.html/);
  });
});
