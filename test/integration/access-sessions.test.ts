// Dashboard sessions, CSRF, the audit trail and request body limits, through a real server
// (docs/security.md). The client connects from 127.0.0.2, which only these tests' tokens open.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SESSION_IDLE_TIMEOUT_MS, SESSION_MAX_AGE_MS } from "../../src/manager/auth/sessions";
import type { Role } from "../../src/manager/auth/roles";
import type { EventPayloads } from "../../src/manager/events/broker";
import { DEFAULT_MAX_BODY_BYTES, TASK_UPDATE_MAX_BODY_BYTES } from "../../src/manager/api/http";
import { basicAuthHeader } from "../../src/worker/client";
import { requestFrom, type RequestOptions } from "../manager/auth/http-from";
import { FakeClock } from "../support/fake-clock";
import { startTestManager, type TestManager, type TestManagerOptions } from "../support/manager";

const UNTRUSTED = "127.0.0.2";
const LOCAL = "127.0.0.1";
const CONFIG = { auth: { trusted_networks: { "127.0.0.1/32": "admin" } } };
const HOUR_MS = 60 * 60_000;

let m: TestManager | null = null;
afterEach(async () => {
  await m?.destroy();
  m = null;
});

async function start(opts: TestManagerOptions = {}): Promise<TestManager> {
  m = await startTestManager({ config: CONFIG, ...opts });
  return m;
}

const call = (source: string, path: string, opts: RequestOptions = {}) =>
  requestFrom(source, `${m!.url}${path}`, opts);

function token(role: Role, name: string = role): string {
  return m!.manager.access.tokens.create({ name, role, expiresAt: null }).secret;
}

interface Login {
  cookie: string;
  setCookie: string;
  csrf: string;
  body: { role: Role | null; name: string; via: string; csrf_token?: string };
}

async function login(secret: string): Promise<Login> {
  const res = await call(UNTRUSTED, "/api/tablao/session", { method: "POST", body: { token: secret } });
  expect(res.status).toBe(200);
  const setCookie = res.headers["set-cookie"]?.[0] ?? "";
  const body = res.json<Login["body"]>();
  return { setCookie, cookie: setCookie.split(";")[0] ?? "", csrf: body.csrf_token ?? "", body };
}

/** Submits a job from the Manager's own machine; answers its ID. */
async function submitJob(): Promise<string> {
  const res = await call(LOCAL, "/api/v3/jobs", {
    method: "POST",
    body: {
      name: "audited",
      type: "echo-sleep-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { message: "hi", sleep_duration_seconds: 1, sleep_repeats: 1 },
    },
  });
  expect(res.status).toBe(200);
  return res.json<{ id: string }>().id;
}

describe("sessions", () => {
  test("logging in sets an HttpOnly, SameSite=Strict cookie; changes made with it need the CSRF token", async () => {
    await start();
    const secret = token("operator", "dashboard-user");
    expect((await call(UNTRUSTED, "/api/tablao/session")).json<Login["body"]>()).toEqual({
      role: null,
      name: "",
      via: "none",
    });

    const { cookie, setCookie, csrf, body } = await login(secret);
    expect(body).toEqual({ role: "operator", name: "dashboard-user", via: "session", csrf_token: csrf });
    expect(csrf.length).toBeGreaterThanOrEqual(43);
    expect(setCookie).toMatch(/^tablao_session=[\w-]{43,}; /);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Secure");
    expect(setCookie).not.toContain(secret);
    expect(
      (await call(UNTRUSTED, "/api/tablao/session", { headers: { Cookie: cookie } })).json<Login["body"]>(),
    ).toEqual(body);

    const job = await submitJob();
    const setPriority = (headers: Record<string, string>) =>
      call(UNTRUSTED, `/api/v3/jobs/${job}/setpriority`, { method: "POST", headers, body: { priority: 70 } });
    const withoutCsrf = await setPriority({ Cookie: cookie });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.json().message).toContain("X-CSRF-Token");
    expect((await setPriority({ Cookie: cookie, "X-CSRF-Token": `${csrf}x` })).status).toBe(403);
    expect((await setPriority({ Cookie: cookie, "X-CSRF-Token": csrf })).status).toBe(204);
    // Reads need no CSRF token.
    expect((await call(UNTRUSTED, `/api/v3/jobs/${job}`, { headers: { Cookie: cookie } })).status).toBe(200);
  });

  test("logging out ends the session and clears the cookie", async () => {
    await start();
    const { cookie } = await login(token("viewer"));
    const out = await call(UNTRUSTED, "/api/tablao/session", {
      method: "DELETE",
      headers: { Cookie: cookie },
    });
    expect(out.status).toBe(204);
    expect(out.headers["set-cookie"]?.[0]).toMatch(/^tablao_session=; Max-Age=0; /);
    const after = await call(UNTRUSTED, "/api/v3/jobs", { headers: { Cookie: cookie } });
    expect(after.status).toBe(401);
    expect(after.json().message).toBe("authentication required: the session has ended, log in again");
  });

  test("a wrong token does not log in", async () => {
    await start();
    const res = await call(UNTRUSTED, "/api/tablao/session", {
      method: "POST",
      body: { token: "tablao_nope" },
    });
    expect(res.status).toBe(401);
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  test("a session ends after 12 idle hours, after 7 days however busy, and with its token", async () => {
    const clock = new FakeClock();
    // Without the background loops, moving the clock by hours fires no timers.
    await start({ clock, start: false });
    const jobs = (cookie: string) => call(UNTRUSTED, "/api/v3/jobs", { headers: { Cookie: cookie } });

    const idle = await login(token("viewer", "idle"));
    clock.advance(SESSION_IDLE_TIMEOUT_MS - 1000);
    expect((await jobs(idle.cookie)).status).toBe(200);
    clock.advance(SESSION_IDLE_TIMEOUT_MS);
    expect((await jobs(idle.cookie)).status).toBe(401);

    const busy = await login(token("viewer", "busy"));
    for (let elapsed = 0; elapsed < SESSION_MAX_AGE_MS - 11 * HOUR_MS; elapsed += 11 * HOUR_MS) {
      clock.advance(11 * HOUR_MS);
      expect((await jobs(busy.cookie)).status).toBe(200);
    }
    clock.advance(11 * HOUR_MS);
    expect((await jobs(busy.cookie)).status).toBe(401);

    const revoked = await login(token("admin", "revoked"));
    expect((await jobs(revoked.cookie)).status).toBe(200);
    const row = m!.manager.access.tokens.byName("revoked")!;
    expect((await call(LOCAL, `/api/tablao/tokens/${row.uuid}`, { method: "DELETE" })).status).toBe(204);
    expect((await jobs(revoked.cookie)).status).toBe(401);
  });

  test("an expired token neither logs in nor opens anything", async () => {
    const clock = new FakeClock();
    await start({ clock, start: false });
    const { secret } = m!.manager.access.tokens.create({
      name: "temp",
      role: "admin",
      expiresAt: new Date(clock.now().getTime() + HOUR_MS),
    });
    const { cookie } = await login(secret);
    clock.advance(HOUR_MS);
    const bearer = await call(UNTRUSTED, "/api/v3/jobs", { headers: { Authorization: `Bearer ${secret}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.json().message).toStartWith("authentication required: token temp expired at ");
    expect((await call(UNTRUSTED, "/api/v3/jobs", { headers: { Cookie: cookie } })).status).toBe(401);
    const again = await call(UNTRUSTED, "/api/tablao/session", { method: "POST", body: { token: secret } });
    expect(again.status).toBe(401);
  });

  test("the token API: an admin creates, lists and revokes; secrets are shown once and never listed", async () => {
    await start();
    const admin = { Authorization: `Bearer ${token("admin", "root")}` };
    const created = await call(UNTRUSTED, "/api/tablao/tokens", {
      method: "POST",
      headers: admin,
      body: { name: "ci", role: "submitter", expires_at: "2099-01-01T00:00:00Z" },
    });
    expect(created.status).toBe(201);
    const body = created.json<Record<string, string | null>>();
    expect(body).toMatchObject({ name: "ci", role: "submitter", expires_at: "2099-01-01T00:00:00.000Z" });
    expect(body.token).toMatch(/^tablao_[\w-]{43}$/);
    const ci = { Authorization: `Bearer ${body.token}` };
    expect((await call(UNTRUSTED, "/api/v3/jobs", { headers: ci })).status).toBe(200);

    const list = await call(UNTRUSTED, "/api/tablao/tokens", { headers: admin });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(body.token);
    const listed = list.json<{ tokens: Record<string, unknown>[] }>().tokens;
    expect(listed.map((t) => [t.name, t.role])).toEqual([
      ["root", "admin"],
      ["ci", "submitter"],
    ]);
    expect(listed[1]).toEqual({ ...body, token: undefined, last_used_at: expect.any(String) as unknown });

    const duplicate = await call(UNTRUSTED, "/api/tablao/tokens", {
      method: "POST",
      headers: admin,
      body: { name: "ci", role: "viewer" },
    });
    expect(duplicate.status).toBe(409);
    for (const bad of [
      { name: "has space", role: "viewer" },
      { name: "x", role: "root" },
      { name: "x", role: "viewer", expires_at: "2001-01-01T00:00:00Z" },
    ]) {
      const res = await call(UNTRUSTED, "/api/tablao/tokens", { method: "POST", headers: admin, body: bad });
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }

    expect(
      (await call(UNTRUSTED, `/api/tablao/tokens/${String(body.id)}`, { method: "DELETE", headers: ci }))
        .status,
    ).toBe(403);
    const revoke = await call(UNTRUSTED, `/api/tablao/tokens/${String(body.id)}`, {
      method: "DELETE",
      headers: admin,
    });
    expect(revoke.status).toBe(204);
    expect((await call(UNTRUSTED, "/api/v3/jobs", { headers: ci })).status).toBe(401);
    const again = await call(UNTRUSTED, `/api/tablao/tokens/${String(body.id)}`, {
      method: "DELETE",
      headers: admin,
    });
    expect(again.status).toBe(404);
  });
});

describe("audit", () => {
  test("operator and admin changes are logged and published with who and what; reads and refusals are not", async () => {
    const lines: string[] = [];
    await start({ logger: (_level, msg) => lines.push(msg) });
    const events: EventPayloads["/audit"][] = [];
    m!.manager.broker.listen((e) => {
      if (e.event === "/audit") events.push(e.payload);
    });
    const job = await submitJob(); // a submitter's change: not audited
    const operator = { Authorization: `Bearer ${token("operator", "night-shift")}` };
    const viewer = { Authorization: `Bearer ${token("viewer")}` };
    const path = `/api/v3/jobs/${job}/setpriority`;
    expect(
      (await call(UNTRUSTED, path, { method: "POST", headers: viewer, body: { priority: 1 } })).status,
    ).toBe(403);
    expect((await call(UNTRUSTED, `/api/v3/jobs/${job}`, { headers: operator })).status).toBe(200);
    expect(
      (await call(UNTRUSTED, path, { method: "POST", headers: operator, body: { priority: 1 } })).status,
    ).toBe(204);
    // A change that fails is not one.
    const missing = `/api/v3/jobs/${crypto.randomUUID()}/setpriority`;
    expect(
      (await call(UNTRUSTED, missing, { method: "POST", headers: operator, body: { priority: 1 } })).status,
    ).toBe(404);

    expect(events).toEqual([
      {
        time: expect.any(String) as string,
        operation: "setJobPriority",
        method: "POST",
        path,
        params: { job_id: job },
        status: 204,
        principal: { name: "night-shift", role: "operator", via: "token", address: UNTRUSTED },
      },
    ]);
    const audited = lines.filter((l) => l.startsWith("audit: "));
    expect(audited).toEqual([
      `audit: night-shift (operator by token, from ${UNTRUSTED}) setJobPriority job_id=${job}: POST ${path} answered 204`,
    ]);
  });

  test("token management and network-trusted changes are audited too", async () => {
    await start();
    const events: EventPayloads["/audit"][] = [];
    m!.manager.broker.listen((e) => {
      if (e.event === "/audit") events.push(e.payload);
    });
    const res = await call(LOCAL, "/api/tablao/tokens", {
      method: "POST",
      body: { name: "new", role: "viewer" },
    });
    expect(res.status).toBe(201);
    expect(events.map((e) => [e.operation, e.status, e.principal])).toEqual([
      ["createTablaoToken", 201, { name: LOCAL, role: "admin", via: "network", address: LOCAL }],
    ]);
  });
});

describe("request bodies", () => {
  async function registeredWorker(): Promise<Record<string, string>> {
    const secret = "body-limit-worker-secret-123456";
    const res = await call(LOCAL, "/api/v3/worker/register-worker", {
      method: "POST",
      body: { name: "w", secret, platform: "linux", supported_task_types: ["misc"] },
    });
    expect(res.status).toBe(200);
    return { Authorization: basicAuthHeader(res.json<{ uuid: string }>().uuid, secret) };
  }

  test("a body over the route's limit is a 413 naming the limit, before it is read", async () => {
    await start();
    const overDefault = JSON.stringify({ path: "x".repeat(DEFAULT_MAX_BODY_BYTES) });
    const res = await call(LOCAL, "/api/v3/configuration/check/shared-storage", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: overDefault,
    });
    expect(res.status).toBe(413);
    expect(res.json()).toEqual({
      code: 413,
      message: "request body too large: /api/v3/configuration/check/shared-storage accepts at most 1 MiB",
    });
    // A stranger's large body is refused for who sent it, not for its size.
    const stranger = await call(UNTRUSTED, "/api/v3/configuration/check/shared-storage", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: overDefault,
    });
    expect(stranger.status).toBe(401);
  });

  test("task updates take up to 8 MiB of log; worker routes are limited too", async () => {
    await start();
    const worker = await registeredWorker();
    const update = (log: string) =>
      call(UNTRUSTED, `/api/v3/worker/task/${crypto.randomUUID()}`, {
        method: "POST",
        headers: worker,
        body: { log },
      });
    // Over the default limit, within the task update's: refused for the unknown task, not its size.
    expect((await update("x".repeat(2 * DEFAULT_MAX_BODY_BYTES))).status).toBe(404);
    const tooLarge = await update("x".repeat(TASK_UPDATE_MAX_BODY_BYTES));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json().message).toEndWith("accepts at most 8 MiB");
    const signOn = await call(UNTRUSTED, "/api/v3/worker/sign-on", {
      method: "POST",
      headers: worker,
      body: {
        name: "w",
        supported_task_types: ["x".repeat(DEFAULT_MAX_BODY_BYTES)],
        software_version: "3.9",
      },
    });
    expect(signOn.status).toBe(413);
  });

  test("a body sent without a Content-Length is counted as it arrives", async () => {
    await start();
    const big = "x".repeat(DEFAULT_MAX_BODY_BYTES + 1);
    // fetch() streams a ReadableStream body chunked, with no Content-Length.
    const res = await fetch(`${m!.url}/api/v3/configuration/check/shared-storage`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: new Blob([`{"path":"${big}"}`]).stream(),
    });
    expect(res.status).toBe(413);
  });
});

describe("browsers on a trusted network", () => {
  test("a cross-site form or text/plain post cannot reach a JSON route (no CSRF through network trust)", async () => {
    await start();
    const before = readFileSync(join(m!.dir, "flamenco-manager.yaml"), "utf8");
    const body = JSON.stringify({
      storageLocation: m!.dir,
      blenderExecutable: { input: "", path: "blender", source: "default", is_usable: true, cause: "" },
    });
    for (const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await call(LOCAL, "/api/v3/configuration/setup-assistant", {
        method: "POST",
        headers: { "Content-Type": contentType, Origin: "https://evil.example" },
        body,
      });
      expect({ contentType, status: res.status }).toEqual({ contentType, status: 415 });
    }
    expect(readFileSync(join(m!.dir, "flamenco-manager.yaml"), "utf8")).toBe(before);
  });
});
