// Worker trust against a real Manager over HTTP (docs/worker-protocol.md): who may register a
// worker, the minimum worker secret, previews only for the caller's own active task, and the
// throttling of wrong worker credentials while valid workers stay fast.
import { afterEach, describe, expect, test } from "bun:test";
import sharp from "sharp";
import { FAILED_AUTH_BURST } from "../../src/manager/farm/auth-throttle";
import { WORKER_SECRET_MIN_CHARS } from "../../src/manager/farm/registration";
import { REGISTRATION_SECRET_HEADER } from "../../src/shared/registration-secret";
import { basicAuthHeader, type Schemas } from "../../src/worker/client";
import { registerOrSignOn, RegistrationError } from "../../src/worker/registration";
import { startTestManager, type TestManager } from "../support/manager";
import { waitFor } from "../support/wait";
import { testWorker } from "../worker/farm";

const REGISTRATION_SECRET = "studio-registration-secret";
const WORKER_SECRET = "c0ffee".repeat(10);
/** Trusts a documentation network only, so the tests' 127.0.0.1 gets no role. */
const UNTRUSTED_LOCALHOST = {
  auth: { trusted_networks: { "192.0.2.0/24": "operator" }, worker_registration_secret: REGISTRATION_SECRET },
};

let m: TestManager | null = null;
afterEach(async () => {
  await m?.destroy();
  m = null;
});

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = { code: number; message: string }>(
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${m!.url}/api/v3${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

function register(headers: Record<string, string> = {}, secret = WORKER_SECRET) {
  return call<Schemas["RegisteredWorker"] & { message?: string }>("POST", "/worker/register-worker", {
    body: { name: "render-01", secret, platform: "linux", supported_task_types: ["misc"] },
    headers,
  });
}

const withSecret = { [REGISTRATION_SECRET_HEADER]: REGISTRATION_SECRET };

/** Registers (with the secret, needed unless trusted), signs on and reports awake; answers its auth header. */
async function awakeWorker(name: string): Promise<{ uuid: string; auth: { Authorization: string } }> {
  const reg = await register(withSecret);
  expect(reg.status).toBe(200);
  const auth = { Authorization: basicAuthHeader(reg.body.uuid, WORKER_SECRET) };
  const signOn = await call("POST", "/worker/sign-on", {
    body: { name, supported_task_types: ["misc"], software_version: "3.9", can_restart: false },
    headers: auth,
  });
  expect(signOn.status).toBe(200);
  expect(
    (await call("POST", "/worker/state-changed", { body: { status: "awake" }, headers: auth })).status,
  ).toBe(204);
  return { uuid: reg.body.uuid, auth };
}

describe("registration", () => {
  test("from an untrusted address: with the registration secret yes, without or with a wrong one 403", async () => {
    m = await startTestManager({ config: UNTRUSTED_LOCALHOST });
    expect((await register(withSecret)).status).toBe(200);

    const without = await register();
    expect(without.status).toBe(403);
    expect(without.body).toMatchObject({ code: 403 });
    expect(without.body.message).toContain("trusted network");
    const wrong = await register({ [REGISTRATION_SECRET_HEADER]: "not-the-studio-secret" });
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toStartWith("wrong worker registration secret");
  });

  test("Tablao's worker sends its configured secret and registers; without it, it stops with the reason", async () => {
    m = await startTestManager({ config: UNTRUSTED_LOCALHOST });
    const never = new AbortController().signal;
    const worker = await testWorker(m.url, { register: false });
    const refused = await registerOrSignOn(worker.registration, never).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistrationError);
    expect((refused as Error).message).toContain("403");
    expect((refused as Error).message).toContain(REGISTRATION_SECRET_HEADER);

    const registration = { ...worker.registration, registrationSecret: REGISTRATION_SECRET };
    expect(await registerOrSignOn(registration, never)).toBe("awake");
    expect(worker.credentials()?.secret).toMatch(new RegExp(`^[0-9a-f]{64}$`));
  });

  test("from a trusted network (the default trusts this machine), without any secret", async () => {
    m = await startTestManager();
    expect((await register()).status).toBe(200);
  });

  test(`a worker secret shorter than ${WORKER_SECRET_MIN_CHARS} characters is a 400 naming the minimum`, async () => {
    m = await startTestManager({ config: UNTRUSTED_LOCALHOST });
    const res = await register(withSecret, "tooshort");
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 400,
      message: `a worker secret needs at least ${WORKER_SECRET_MIN_CHARS} characters`,
    } as never);
  });
});

describe("output-produced", () => {
  test("only the worker the task is assigned to may send its image, also just after completing it", async () => {
    m = await startTestManager();
    const job = await call<{ id: string }>("POST", "/jobs", {
      body: {
        name: "trust",
        type: "echo-sleep-test",
        priority: 50,
        submitter_platform: "linux",
        settings: { message: "hi", sleep_duration_seconds: 1, sleep_repeats: 0 },
      },
    });
    expect(job.status).toBe(200);
    const owner = await awakeWorker("owner");
    const other = await awakeWorker("other");
    const task = await call<Schemas["AssignedTask"]>("POST", "/worker/task", { headers: owner.auth });
    expect(task.status).toBe(200);
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
      .jpeg()
      .toBuffer();
    const upload = (auth: { Authorization: string }) =>
      fetch(`${m!.url}/api/v3/worker/task/${task.body.uuid}/output-produced`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "image/jpeg" },
        body: jpeg,
      });

    const foreign = await upload(other.auth);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({
      code: 403,
      message: `task ${task.body.uuid} is not assigned to you`,
    });
    expect((await upload(owner.auth)).status).toBe(202);

    const done = await call("POST", `/worker/task/${task.body.uuid}`, {
      body: { taskStatus: "completed" },
      headers: owner.auth,
    });
    expect(done.status).toBe(204);
    // Workers upload in the background: the last frame arriving after "completed" still counts.
    expect((await upload(owner.auth)).status).toBe(202);
    expect((await upload(other.auth)).status).toBe(403);
  });
});

describe("throttling wrong worker credentials", () => {
  test("a flood of wrong secrets from one address: a burst of 403s, then delayed 403s and 429s; a valid worker stays fast", async () => {
    m = await startTestManager();
    const valid = await awakeWorker("valid");
    const guess = (i: number) => ({ Authorization: basicAuthHeader(valid.uuid, `guess-number-${i}`) });
    // Fewer than fetch's connection limit (256), which would queue the valid worker's requests.
    const GUESSES = 200;
    const abandon = new AbortController();
    const answered: { status: number; afterMs: number; retryAfter: string | null; body: unknown }[] = [];
    const attackStart = performance.now();
    const attack = Array.from({ length: GUESSES }, (_, i) =>
      call("GET", "/worker/state", { headers: guess(i), signal: abandon.signal }).then(
        (a) =>
          void answered.push({
            status: a.status,
            afterMs: performance.now() - attackStart,
            retryAfter: a.headers.get("Retry-After"),
            body: a.body,
          }),
        () => {}, // the still delayed ones are abandoned at the end
      ),
    );

    // The valid worker is answered while the guesses wait: its 100 calls are done before the
    // second held-back 403 (about 2 s in), where a valid worker paced like the attacker would
    // take a second per call. Its latencies are bench/worker-auth.ts's to report.
    const forbidden = () => answered.filter((a) => a.status === 403);
    for (let i = 0; i < 100; i++) {
      expect((await call("GET", "/worker/state", { headers: valid.auth })).status).toBe(204);
    }
    expect(forbidden().length).toBeLessThan(FAILED_AUTH_BURST + 2);

    // At most the burst and 30 s worth of guesses are checked; the rest are refused unchecked.
    const refusedAtOnce = GUESSES - FAILED_AUTH_BURST - 31;
    await waitFor(
      "the unchecked refusals",
      () => answered.filter((a) => a.status === 429).length >= refusedAtOnce,
    );
    const refusal = answered.find((a) => a.status === 429)!;
    expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(30);
    expect(refusal.body).toMatchObject({ code: 429 });

    // The burst's 403s come at once; each further checked guess waits about a second longer.
    await waitFor("two delayed 403s", () => forbidden().length >= FAILED_AUTH_BURST + 2, 5_000);
    const arrivals = forbidden().map((a) => a.afterMs);
    expect(arrivals[FAILED_AUTH_BURST - 1]).toBeLessThan(900);
    expect(arrivals[FAILED_AUTH_BURST]).toBeGreaterThan(900);
    expect(arrivals[FAILED_AUTH_BURST + 1]).toBeGreaterThan(1_900);
    expect(forbidden()[0]?.body).toEqual({
      message: "security requirements failed: authorization failed: no such worker known",
    });

    abandon.abort();
    await Promise.all(attack);
  });
});
