import { afterEach, describe, expect, mock, spyOn, test } from "bun:test";
import { eq } from "drizzle-orm";
import { workers } from "../../../src/manager/db/schema";
import { ApiError } from "../../../src/manager/errors";
import { hashWorkerSecret, parseBasicAuth, SECRET_MAX_BYTES } from "../../../src/manager/farm/auth";
import { basicAuthHeader } from "../../../src/worker/client";
import { createHarness, SECRET } from "./harness";

describe("parseBasicAuth", () => {
  test("splits user and password at the first colon", () => {
    expect(parseBasicAuth(basicAuthHeader("u", "p:q"))).toEqual({ uuid: "u", secret: "p:q" });
    expect(parseBasicAuth(`bAsIc ${btoa("u:")}`)).toEqual({ uuid: "u", secret: "" });
  });

  test("refuses what is not HTTP Basic", () => {
    for (const header of [undefined, "", "Bearer abc", "Basic", "Basic !!!", `Basic ${btoa("no-colon")}`]) {
      expect(parseBasicAuth(header)).toBeNull();
    }
  });
});

describe("hashWorkerSecret", () => {
  test("stores a bcrypt hash that verifies, also with Flamenco's $2a$ prefix", async () => {
    const hash = await hashWorkerSecret(SECRET);
    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(await Bun.password.verify(SECRET, hash)).toBe(true);
    const flamencoStyle = hash.replace(/^\$2[by]\$/, "$2a$");
    expect(await Bun.password.verify(SECRET, flamencoStyle)).toBe(true);
    expect(await Bun.password.verify("other", flamencoStyle)).toBe(false);
  });

  test("refuses secrets longer than bcrypt reads", async () => {
    const err = await hashWorkerSecret("x".repeat(SECRET_MAX_BYTES + 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect(await hashWorkerSecret("x".repeat(SECRET_MAX_BYTES))).toMatch(/^\$2/);
  });
});

describe("createWorkerAuth", () => {
  // spyOn replaces Bun.password.verify for the whole process.
  afterEach(() => mock.restore());

  test("accepts the registered secret and rejects anything else", async () => {
    const h = createHarness();
    const w = await h.register();
    const good = await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET));
    expect(good.ok && good.worker.uuid).toBe(w.uuid);
    expect(await h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"))).toEqual({
      ok: false,
      cause: "no such worker known",
    });
    expect(await h.auth.authenticate(basicAuthHeader(crypto.randomUUID(), SECRET))).toEqual({
      ok: false,
      cause: "no such worker known",
    });
    expect(await h.auth.authenticate(undefined)).toEqual({ ok: false, cause: "no auth header found" });
  });

  test("verifies a pair with bcrypt once, then from the cache", async () => {
    const h = createHarness();
    const w = await h.register();
    const verify = spyOn(Bun.password, "verify");
    for (let i = 0; i < 5; i++)
      expect((await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET))).ok).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
    // A wrong secret is never cached: every attempt pays for bcrypt.
    await h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"));
    await h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"));
    expect(verify).toHaveBeenCalledTimes(3);
  });

  test("a header verified before is answered at once, without a promise; others are not", async () => {
    const h = createHarness();
    const w = await h.register();
    const header = basicAuthHeader(w.uuid, SECRET);
    expect(h.auth.authenticate(header)).toBeInstanceOf(Promise);
    expect((await h.auth.authenticate(header)).ok).toBe(true);
    const again = h.auth.authenticate(header);
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { ok: true; worker: { uuid: string } }).worker.uuid).toBe(w.uuid);
    expect(h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"))).toBeInstanceOf(Promise);
  });

  test("an unknown worker costs a bcrypt verification too", async () => {
    const h = createHarness();
    const verify = spyOn(Bun.password, "verify");
    await h.auth.authenticate(basicAuthHeader(crypto.randomUUID(), SECRET));
    expect(verify).toHaveBeenCalledTimes(1);
  });

  test("the cache does not outlive a changed secret or a deleted worker", async () => {
    const h = createHarness();
    const w = await h.register();
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET))).ok).toBe(true);
    const newHash = await hashWorkerSecret("rotated");
    h.db.orm.update(workers).set({ secret: newHash }).where(eq(workers.uuid, w.uuid)).run();
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET))).ok).toBe(false);
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, "rotated"))).ok).toBe(true);
    h.db.orm.delete(workers).where(eq(workers.uuid, w.uuid)).run();
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, "rotated"))).ok).toBe(false);
  });
});

describe("worker-auth middleware", () => {
  const prefix = "security requirements failed: authorization failed: ";

  test("no Authorization header → 403 naming the missing header", async () => {
    const h = createHarness();
    const res = await h.request("GET", "/api/v3/worker/state");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: `${prefix}no auth header found` });
  });

  test("unknown worker or wrong secret → 403, nothing written", async () => {
    const h = createHarness();
    const w = await h.register();
    for (const header of [basicAuthHeader(w.uuid, "wrong"), basicAuthHeader(crypto.randomUUID(), SECRET)]) {
      const res = await h.request("POST", "/api/v3/worker/sign-off", undefined, { Authorization: header });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: `${prefix}no such worker known` });
    }
    expect(h.worker(w.uuid)!.status).toBe("");
    expect(h.worker(w.uuid)!.lastSeenAt).toBeNull();
    expect(h.workerEvents()).toEqual([]);
  });

  test("authentication comes before body validation", async () => {
    const h = createHarness();
    const res = await h.request("POST", "/api/v3/worker/state-changed", { status: "dancing" });
    expect(res.status).toBe(403);
    const w = await h.register();
    const authed = await h.request("POST", "/api/v3/worker/state-changed", { status: "dancing" }, w.auth);
    expect(authed.status).toBe(400);
    expect(((await authed.json()) as { code: number }).code).toBe(400);
  });

  test("registration needs no credentials, even with the empty ones the Worker sends", async () => {
    const h = createHarness();
    const res = await h.request(
      "POST",
      "/api/v3/worker/register-worker",
      { name: "w", secret: SECRET, platform: "linux", supported_task_types: ["misc"] },
      { Authorization: basicAuthHeader("", "") },
    );
    expect(res.status).toBe(200);
  });

  test("a deleted worker can no longer authenticate", async () => {
    const h = createHarness();
    const w = await h.signedOn("doomed");
    expect((await h.request("GET", "/api/v3/worker/state", undefined, w.auth)).status).not.toBe(403);
    expect((await h.request("DELETE", `/api/v3/worker-mgt/workers/${w.uuid}`)).status).toBe(204);
    expect((await h.request("GET", "/api/v3/worker/state", undefined, w.auth)).status).toBe(403);
  });
});
