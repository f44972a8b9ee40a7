import { afterEach, describe, expect, mock, spyOn, test } from "bun:test";
import { eq } from "drizzle-orm";
import { workers } from "../../../src/manager/db/schema";
import { ApiError } from "../../../src/manager/errors";
import { hashWorkerSecret, parseBasicAuth, SECRET_MAX_BYTES } from "../../../src/manager/farm/auth";
import { basicAuthHeader } from "../../../src/worker/client";
import { waitFor } from "../../support/wait";
import { createHarness, SECRET, type Harness } from "./harness";

const PEER = "10.1.2.3";

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
    const good = await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET), PEER);
    expect(good.ok && good.worker.uuid).toBe(w.uuid);
    expect(await h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"), PEER)).toEqual({
      ok: false,
      cause: "no such worker known",
    });
    expect(await h.auth.authenticate(basicAuthHeader(crypto.randomUUID(), SECRET), PEER)).toEqual({
      ok: false,
      cause: "no such worker known",
    });
    expect(await h.auth.authenticate(undefined, PEER)).toEqual({ ok: false, cause: "no auth header found" });
  });

  test("verifies a pair with bcrypt once, then from the cache", async () => {
    const h = createHarness();
    const w = await h.register();
    const verify = spyOn(Bun.password, "verify");
    for (let i = 0; i < 5; i++)
      expect((await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET), PEER)).ok).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
    // A wrong secret is never cached: every attempt pays for bcrypt.
    await h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"), PEER);
    await h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"), PEER);
    expect(verify).toHaveBeenCalledTimes(3);
  });

  test("a header verified before is answered at once, without a promise; others are not", async () => {
    const h = createHarness();
    const w = await h.register();
    const header = basicAuthHeader(w.uuid, SECRET);
    expect(h.auth.authenticate(header, PEER)).toBeInstanceOf(Promise);
    expect((await h.auth.authenticate(header, PEER)).ok).toBe(true);
    const again = h.auth.authenticate(header, PEER);
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as { ok: true; worker: { uuid: string } }).worker.uuid).toBe(w.uuid);
    expect(h.auth.authenticate(basicAuthHeader(w.uuid, "wrong"), PEER)).toBeInstanceOf(Promise);
  });

  test("an unknown worker costs a bcrypt verification too", async () => {
    const h = createHarness();
    const verify = spyOn(Bun.password, "verify");
    await h.auth.authenticate(basicAuthHeader(crypto.randomUUID(), SECRET), PEER);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  test("the cache does not outlive a changed secret or a deleted worker", async () => {
    const h = createHarness();
    const w = await h.register();
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET), PEER)).ok).toBe(true);
    const newHash = await hashWorkerSecret("rotated");
    h.db.orm.update(workers).set({ secret: newHash }).where(eq(workers.uuid, w.uuid)).run();
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, SECRET), PEER)).ok).toBe(false);
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, "rotated"), PEER)).ok).toBe(true);
    h.db.orm.delete(workers).where(eq(workers.uuid, w.uuid)).run();
    expect((await h.auth.authenticate(basicAuthHeader(w.uuid, "rotated"), PEER)).ok).toBe(false);
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

describe("throttling of failed worker authentication", () => {
  afterEach(() => mock.restore());
  const limits = { burst: 2, intervalMs: 1_000, maxDelayMs: 3_000 };

  /** Requests from `address` (as Bun.serve would pass the peer). */
  async function callFrom(h: Harness, address: string, header: string): Promise<Response> {
    return h.app.request(
      "/api/v3/worker/state",
      { headers: { Authorization: header } },
      { remoteAddress: () => address },
    );
  }

  /**
   * Counts bcrypt verifications, and the failures held back on the fake clock (the throttle's
   * only use of it here), so a test can wait until the guesses it sent are waiting for their answer.
   */
  function watch(h: Harness) {
    const verify = spyOn(Bun.password, "verify");
    const delays = spyOn(h.clock, "setTimeout");
    return { bcryptCalls: () => verify.mock.calls.length, heldBack: () => delays.mock.calls.length };
  }

  /** Whether `promise` has settled once the callbacks already due have run. */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false;
    void promise.then(() => (done = true));
    await Bun.sleep(0);
    return done;
  }

  test("after a burst, each wrong secret waits one interval longer for its 403; valid workers are not slowed", async () => {
    const h = createHarness({ throttleLimits: limits });
    const w = await h.register();
    const valid = basicAuthHeader(w.uuid, SECRET);
    const wrong = basicAuthHeader(w.uuid, "wrong-secret-guess");
    expect((await callFrom(h, PEER, valid)).status).toBe(204);
    const watched = watch(h);

    for (let i = 0; i < limits.burst; i++) expect((await callFrom(h, PEER, wrong)).status).toBe(403);
    const third = callFrom(h, PEER, wrong);
    const fourth = callFrom(h, PEER, wrong);
    await waitFor("both guesses to be held back", () => watched.heldBack() === 2);
    expect(watched.bcryptCalls()).toBe(limits.burst + 2);
    expect(await settled(third)).toBe(false);
    // The valid worker, from the very same address, is answered at once meanwhile.
    expect((await callFrom(h, PEER, valid)).status).toBe(204);

    h.clock.advance(limits.intervalMs - 1);
    expect(await settled(third)).toBe(false);
    h.clock.advance(1);
    await waitFor("the third guess's answer", () => settled(third));
    expect(await settled(fourth)).toBe(false);
    h.clock.advance(limits.intervalMs);
    const [thirdAnswer, fourthAnswer] = await Promise.all([third, fourth]);
    expect([thirdAnswer.status, fourthAnswer.status]).toEqual([403, 403]);
    expect(await thirdAnswer.json()).toEqual({
      message: "security requirements failed: authorization failed: no such worker known",
    });
  });

  test("a full queue of waiting failures: 429 with Retry-After at once, without running bcrypt", async () => {
    const h = createHarness({ throttleLimits: limits });
    const w = await h.register();
    const other = await h.register();
    const valid = basicAuthHeader(w.uuid, SECRET);
    expect((await callFrom(h, PEER, valid)).status).toBe(204);
    const watched = watch(h);

    const admitted = limits.burst + limits.maxDelayMs / limits.intervalMs;
    const waiting = Array.from({ length: admitted }, () =>
      callFrom(h, PEER, basicAuthHeader(crypto.randomUUID(), "guess-guess-guess")),
    );
    await waitFor(
      "the guesses after the burst to be held back",
      () => watched.heldBack() === admitted - limits.burst,
    );
    expect(watched.bcryptCalls()).toBe(admitted);
    const refused = await callFrom(h, PEER, basicAuthHeader(w.uuid, "yet-another-guess"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("4");
    expect(await refused.json()).toEqual({
      code: 429,
      message: "too many failed worker authentications from this address; try again in 4 s",
    });
    expect(watched.bcryptCalls()).toBe(admitted);

    // Credentials verified from this address before still work; others wait like the attacker.
    expect((await callFrom(h, PEER, valid)).status).toBe(204);
    expect((await callFrom(h, PEER, basicAuthHeader(other.uuid, SECRET))).status).toBe(429);
    // Another address is not affected, and must verify the remembered header anew.
    expect((await callFrom(h, "10.9.9.9", valid)).status).toBe(204);
    expect(watched.bcryptCalls()).toBe(admitted + 1);

    h.clock.advance(limits.maxDelayMs);
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual(Array<number>(admitted).fill(403));
  });

  test("a missing or malformed header is refused at once and not counted", async () => {
    const h = createHarness({ throttleLimits: { ...limits, maxDelayMs: 0 } });
    for (let i = 0; i < 10; i++) {
      expect((await callFrom(h, PEER, "Bearer nonsense")).status).toBe(403);
      expect((await h.app.request("/api/v3/worker/state", {}, { remoteAddress: () => PEER })).status).toBe(
        403,
      );
    }
    const w = await h.register();
    expect((await callFrom(h, PEER, basicAuthHeader(w.uuid, SECRET))).status).toBe(204);
  });
});
