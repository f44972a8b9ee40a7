// Who may register a worker (docs/worker-protocol.md#registration), through the HTTP handler with
// the access-control middleware's principal stood in by the harness.
import { describe, expect, test } from "bun:test";
import type { Principal } from "../../../src/manager/auth/principal";
import { WORKER_SECRET_MIN_CHARS } from "../../../src/manager/farm/registration";
import { REGISTRATION_SECRET_HEADER } from "../../../src/shared/registration-secret";
import {
  FAILED_AUTH_BURST,
  FAILED_AUTH_INTERVAL_MS,
  FAILED_AUTH_MAX_DELAY_MS,
} from "../../../src/manager/farm/auth-throttle";
import { createHarness, SECRET, type Harness } from "./harness";

const REGISTRATION_SECRET = "farm-registration-secret";
const untrusted: Principal = { role: null, name: "203.0.113.9", via: "none", address: "203.0.113.9" };
const asRole = (role: Principal["role"]): Principal => ({ ...untrusted, role });

function register(h: Harness, headers: Record<string, string> = {}, secret = SECRET) {
  return h.request(
    "POST",
    "/api/v3/worker/register-worker",
    { name: "render-01", secret, platform: "linux", supported_task_types: ["misc"] },
    headers,
  );
}

async function errorOf(res: Response): Promise<{ code: number; message: string }> {
  return (await res.json()) as { code: number; message: string };
}

describe("who may register a worker", () => {
  test("a caller trusted as operator or admin, without any secret", async () => {
    for (const role of ["operator", "admin"] as const) {
      const h = createHarness({ principal: asRole(role), registrationSecret: REGISTRATION_SECRET });
      expect((await register(h)).status).toBe(200);
    }
  });

  test("anyone else is refused with 403, told how to register (Flamenco workers: trusted network)", async () => {
    for (const principal of [untrusted, asRole("viewer"), asRole("submitter"), null]) {
      const h = createHarness({ principal });
      const res = await register(h);
      expect(res.status).toBe(403);
      const body = await errorOf(res);
      expect(body.code).toBe(403);
      expect(body.message).toContain(REGISTRATION_SECRET_HEADER);
      expect(body.message).toContain("trusted network");
      expect(body.message).toContain("Flamenco's worker cannot send the secret");
      expect(await (await h.request("GET", "/api/v3/worker-mgt/workers")).json()).toEqual({ workers: [] });
    }
  });

  test("an untrusted caller with the configured secret may; with a wrong one not", async () => {
    const h = createHarness({ principal: asRole("submitter"), registrationSecret: REGISTRATION_SECRET });
    expect((await register(h, { [REGISTRATION_SECRET_HEADER]: REGISTRATION_SECRET })).status).toBe(200);
    for (const wrong of ["", "farm-registration-secreT", `${REGISTRATION_SECRET}x`]) {
      const res = await register(h, { [REGISTRATION_SECRET_HEADER]: wrong });
      expect(res.status).toBe(403);
      expect((await errorOf(res)).message).toStartWith("wrong worker registration secret");
    }
  });

  test("a secret sent to a Manager that has none is refused, saying so", async () => {
    const h = createHarness({ principal: untrusted });
    const res = await register(h, { [REGISTRATION_SECRET_HEADER]: "anything-at-all" });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toContain("has no worker registration secret set");
  });

  test("wrong registration secrets are throttled per address: delayed 403s, then 429", async () => {
    const h = createHarness({ principal: untrusted, registrationSecret: REGISTRATION_SECRET });
    const wrong = { [REGISTRATION_SECRET_HEADER]: "a-wrong-guess" };
    for (let i = 0; i < FAILED_AUTH_BURST; i++) expect((await register(h, wrong)).status).toBe(403);
    const waiting = Array.from({ length: FAILED_AUTH_MAX_DELAY_MS / FAILED_AUTH_INTERVAL_MS }, () =>
      register(h, wrong),
    );
    const refused = await register(h, { [REGISTRATION_SECRET_HEADER]: REGISTRATION_SECRET });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(FAILED_AUTH_MAX_DELAY_MS / 1000);
    expect((await errorOf(refused)).code).toBe(429);
    // Other addresses are not affected.
    const elsewhere = createHarness({ principal: { ...untrusted, address: "203.0.113.10" } });
    expect((await register(elsewhere)).status).toBe(403);

    h.clock.advance(FAILED_AUTH_MAX_DELAY_MS);
    expect((await Promise.all(waiting)).every((r) => r.status === 403)).toBe(true);
  });
});

describe("worker secrets", () => {
  test(`shorter than ${WORKER_SECRET_MIN_CHARS} characters: 400 naming the minimum`, async () => {
    const h = createHarness();
    for (const secret of ["", "s3cret", "x".repeat(WORKER_SECRET_MIN_CHARS - 1), "é".repeat(15)]) {
      const res = await register(h, {}, secret);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toEqual({
        code: 400,
        message: `a worker secret needs at least ${WORKER_SECRET_MIN_CHARS} characters`,
      });
    }
  });

  test(`${WORKER_SECRET_MIN_CHARS} characters, or the 64 hex characters workers send, are accepted`, async () => {
    const h = createHarness();
    for (const secret of ["x".repeat(WORKER_SECRET_MIN_CHARS), "é".repeat(16), SECRET]) {
      expect((await register(h, {}, secret)).status).toBe(200);
    }
  });

  test("permission is checked before the secret's length", async () => {
    const h = createHarness({ principal: untrusted });
    expect((await register(h, {}, "short")).status).toBe(403);
  });
});
