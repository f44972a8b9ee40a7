// The worker protocol through HTTP: registration, sign-on, state handshakes and sign-off, as a
// stock Flamenco Worker performs them (see docs/worker-protocol.md).
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { sleepSchedules, workers } from "../../../src/manager/db/schema";
import { pendingStatusRequest, statusRequestAbortsTask } from "../../../src/manager/farm/status-requests";
import { SEEN_WRITE_INTERVAL_MS } from "../../../src/manager/farm/seen";
import { createHarness, SECRET, type Harness } from "../farm/harness";

const signOnBody = (extra: Record<string, unknown> = {}) => ({
  name: "render-01",
  supported_task_types: [" Blender", "FFMPEG ", "misc"],
  software_version: "3.9-beta1",
  can_restart: true,
  ...extra,
});

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function requestStatus(h: Harness, uuid: string, status: string, isLazy: boolean) {
  return h.request("POST", `/api/v3/worker-mgt/workers/${uuid}/setstatus`, { status, is_lazy: isLazy });
}

describe("POST /api/v3/worker/register-worker", () => {
  test("stores a new worker with a hashed secret and answers RegisteredWorker", async () => {
    const h = createHarness();
    const res = await h.request(
      "POST",
      "/api/v3/worker/register-worker",
      { name: "render-01", secret: SECRET, platform: "linux", supported_task_types: ["Blender", " misc"] },
      { "X-Forwarded-For": "[fe80::1], 10.0.0.1" },
    );
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "render-01",
      address: "fe80::1",
      platform: "linux",
      software: "",
      status: "",
      supported_task_types: ["blender", "misc"],
    });
    const row = h.worker(body.uuid as string)!;
    expect(row.secret).not.toContain(SECRET);
    expect(await Bun.password.verify(SECRET, row.secret)).toBe(true);
    expect(row.lastSeenAt).toBeNull();
    expect(h.events).toEqual([]);
  });

  test("X-Real-IP is the address when there is no X-Forwarded-For", async () => {
    const h = createHarness();
    const res = await h.request(
      "POST",
      "/api/v3/worker/register-worker",
      { name: "w", secret: SECRET, platform: "windows", supported_task_types: [] },
      { "X-Real-IP": "192.168.1.7" },
    );
    const body = await json(res);
    expect(body.address).toBe("192.168.1.7");
    expect(body.supported_task_types).toEqual([]);
  });

  test("without proxy headers the TCP peer is the address, IPv4 without the IPv6 mapping", async () => {
    const h = createHarness();
    // As src/manager/bun-serve.ts does: the edge hands the TCP peer to the app.
    const server = Bun.serve({
      port: 0,
      fetch: (req, srv) => h.app.fetch(req, { remoteAddress: () => srv.requestIP(req)?.address }),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v3/worker/register-worker`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "w", secret: SECRET, platform: "linux", supported_task_types: [] }),
      });
      expect((await json(res)).address).toBe("127.0.0.1");
    } finally {
      await server.stop(true);
    }
  });

  test("bad registrations are 400 with an Error body", async () => {
    const h = createHarness();
    const base = { name: "w", secret: SECRET, platform: "linux", supported_task_types: ["misc"] };
    for (const body of [
      { ...base, secret: "s".repeat(73) },
      { ...base, name: "  " },
      { ...base, secret: "" },
      { name: "w", secret: SECRET, platform: "linux" },
      "{not json",
    ]) {
      const res = await h.request("POST", "/api/v3/worker/register-worker", body);
      expect(res.status).toBe(400);
      expect((await json(res)).code).toBe(400);
    }
    expect(h.db.orm.select().from(workers).all()).toEqual([]);
  });

  test("a busy database is a 503 with Retry-After", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tablao-register-"));
    const path = join(dir, "flamenco.sqlite");
    const h = createHarness({ path });
    h.sqlite.exec("PRAGMA busy_timeout = 0");
    const other = new Database(path);
    try {
      other.exec("BEGIN IMMEDIATE");
      const res = await h.request("POST", "/api/v3/worker/register-worker", {
        name: "w",
        secret: SECRET,
        platform: "linux",
        supported_task_types: ["misc"],
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("1");
      expect((await json(res)).code).toBe(503);
      other.exec("ROLLBACK");
    } finally {
      other.close();
      h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("POST /api/v3/worker/sign-on", () => {
  test("stores the sign-on details, marks seen, announces `starting` and answers awake", async () => {
    const h = createHarness();
    const w = await h.register("old-name");
    const res = await h.request("POST", "/api/v3/worker/sign-on", signOnBody(), {
      ...w.auth,
      "X-Forwarded-For": "10.1.2.3",
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status_requested: "awake" });

    const row = h.worker(w.uuid)!;
    expect(row).toMatchObject({
      status: "starting",
      name: "render-01",
      software: "3.9-beta1",
      canRestart: true,
      address: "10.1.2.3",
      platform: "linux",
      supportedTaskTypes: "blender,ffmpeg,misc",
      lastSeenAt: h.clock.now(),
    });
    // First sign-on: the previous status was "", so none is sent.
    expect(h.workerEvents()).toEqual([
      {
        id: w.uuid,
        name: "render-01",
        updated: h.clock.now().toISOString(),
        status: "starting",
        version: "3.9-beta1",
        can_restart: true,
        last_seen: h.clock.now().toISOString(),
      },
    ]);
  });

  test("a later sign-on carries the previous status; can_restart absent means false", async () => {
    const h = createHarness();
    const w = await h.signedOn("w", true);
    await h.reportState(w, "awake");
    h.clearEvents();
    const res = await h.request(
      "POST",
      "/api/v3/worker/sign-on",
      signOnBody({ can_restart: undefined }),
      w.auth,
    );
    expect(res.status).toBe(200);
    expect(h.workerEvents()).toMatchObject([
      { name: "render-01", status: "starting", previous_status: "awake" },
    ]);
    expect(h.worker(w.uuid)!.canRestart).toBe(false);
  });

  test("a pending request is the initial status, and stays pending", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    expect((await requestStatus(h, w.uuid, "asleep", true)).status).toBe(204);
    const res = await h.request("POST", "/api/v3/worker/sign-on", signOnBody(), w.auth);
    expect(await json(res)).toEqual({ status_requested: "asleep" });
    expect(h.worker(w.uuid)!.statusRequested).toBe("asleep");
  });

  test("without a request the sleep schedule decides", async () => {
    const h = createHarness();
    const w = await h.register();
    h.db.orm
      .insert(sleepSchedules)
      .values({ workerId: h.worker(w.uuid)!.id, isActive: true, daysOfWeek: "", startTime: "", endTime: "" })
      .run();
    const res = await h.request("POST", "/api/v3/worker/sign-on", signOnBody(), w.auth);
    expect(await json(res)).toEqual({ status_requested: "asleep" });
  });

  test("a bad body is a 400 and changes nothing", async () => {
    const h = createHarness();
    const w = await h.register();
    const res = await h.request("POST", "/api/v3/worker/sign-on", { name: "x" }, w.auth);
    expect(res.status).toBe(400);
    expect(h.worker(w.uuid)!.status).toBe("");
  });
});

describe("GET /api/v3/worker/state", () => {
  test("204 without a request, 200 with a lazy or immediate one; nothing is cleared", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    expect((await h.request("GET", "/api/v3/worker/state", undefined, w.auth)).status).toBe(204);
    await requestStatus(h, w.uuid, "asleep", true);
    let res = await h.request("GET", "/api/v3/worker/state", undefined, w.auth);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status_requested: "asleep" });
    await requestStatus(h, w.uuid, "offline", false);
    res = await h.request("GET", "/api/v3/worker/state", undefined, w.auth);
    expect(await json(res)).toEqual({ status_requested: "offline" });
    expect(h.worker(w.uuid)!.statusRequested).toBe("offline");
  });

  test("marks the worker seen (at most once per write interval)", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    const signedOnAt = h.clock.now();
    h.clock.advance(SEEN_WRITE_INTERVAL_MS / 2);
    await h.request("GET", "/api/v3/worker/state", undefined, w.auth);
    expect(h.worker(w.uuid)!.lastSeenAt).toEqual(signedOnAt);
    h.clock.advance(SEEN_WRITE_INTERVAL_MS);
    await h.request("GET", "/api/v3/worker/state", undefined, w.auth);
    expect(h.worker(w.uuid)!.lastSeenAt).toEqual(h.clock.now());
  });
});

describe("POST /api/v3/worker/state-changed", () => {
  test("acknowledges the matching request and announces the change", async () => {
    const h = createHarness();
    const w = await h.signedOn("w1");
    h.clearEvents();
    await h.reportState(w, "awake");
    expect(h.worker(w.uuid)).toMatchObject({ status: "awake", statusRequested: "" });
    expect(h.workerEvents()).toMatchObject([
      { id: w.uuid, name: "w1", status: "awake", previous_status: "starting" },
    ]);
    expect(h.workerEvents()[0]).not.toHaveProperty("status_change");

    await requestStatus(h, w.uuid, "asleep", false);
    await h.reportState(w, "asleep");
    expect(h.worker(w.uuid)).toMatchObject({
      status: "asleep",
      statusRequested: "",
      lazyStatusRequest: false,
    });
  });

  test("an intermediate state keeps a request for another status pending", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    await h.reportState(w, "awake");
    await requestStatus(h, w.uuid, "offline", true);
    await h.reportState(w, "asleep");
    expect(h.worker(w.uuid)).toMatchObject({
      status: "asleep",
      statusRequested: "offline",
      lazyStatusRequest: true,
    });
    expect(h.workerEvents().at(-1)).toMatchObject({
      status: "asleep",
      previous_status: "awake",
      status_change: { status: "offline", is_lazy: true },
    });
  });

  test("leaving awake returns the worker's active task to the pool", async () => {
    const h = createHarness();
    const w = await h.signedOn("renderer");
    await h.reportState(w, "awake");
    const job = h.addJob({ status: "active" });
    const task = h.addTask(job, { status: "active", worker: h.worker(w.uuid) });
    await h.reportState(w, "asleep");
    const after = h.task(task);
    expect(after.status).toBe("queued");
    expect(after.activity).toBe(
      `Task was queued by Manager because worker renderer (${w.uuid}) changed status to 'asleep'`,
    );
    expect(h.taskLogLines.map((l) => l.line)).toContain(after.activity);
  });

  test("awake to awake touches no task", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    await h.reportState(w, "awake");
    const task = h.addTask(h.addJob({ status: "active" }), { status: "active", worker: h.worker(w.uuid) });
    await h.reportState(w, "awake");
    expect(h.task(task).status).toBe("active");
  });
});

describe("POST /api/v3/worker/sign-off", () => {
  test("goes offline, remembers awake for the next sign-on, requeues and announces", async () => {
    const h = createHarness();
    const w = await h.signedOn("leaver");
    await h.reportState(w, "awake");
    const job = h.addJob({ status: "active" });
    const task = h.addTask(job, { status: "active", worker: h.worker(w.uuid) });
    h.clearEvents();

    const res = await h.request("POST", "/api/v3/worker/sign-off", undefined, w.auth);
    expect(res.status).toBe(204);
    expect(h.worker(w.uuid)).toMatchObject({
      status: "offline",
      statusRequested: "awake",
      lazyStatusRequest: false,
    });
    expect(h.task(task)).toMatchObject({
      status: "queued",
      activity: "Task was queued by Manager because worker signed off",
      workerId: h.worker(w.uuid)!.id,
    });
    const taskEvents = h.events.filter((e) => e.topic === `/jobs/${job.uuid}`);
    expect(taskEvents.map((e) => e.payload)).toMatchObject([
      { id: task.uuid, status: "queued", previous_status: "active" },
    ]);
    expect(h.workerEvents()).toMatchObject([
      {
        name: "leaver",
        status: "offline",
        previous_status: "awake",
        status_change: { status: "awake", is_lazy: false },
      },
    ]);

    const again = await h.request("POST", "/api/v3/worker/sign-on", signOnBody(), w.auth);
    expect(await json(again)).toEqual({ status_requested: "awake" });
  });

  test("acknowledges an offline or restart request instead of remembering", async () => {
    for (const requested of ["offline", "restart"]) {
      const h = createHarness();
      const w = await h.signedOn("w", true);
      await h.reportState(w, "awake");
      await requestStatus(h, w.uuid, requested, false);
      await h.request("POST", "/api/v3/worker/sign-off", undefined, w.auth);
      // The request is cleared, then "awake" is remembered.
      expect(h.worker(w.uuid)).toMatchObject({ status: "offline", statusRequested: "awake" });
    }
  });

  test("does not remember transitional statuses and keeps an unrelated request", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    await h.request("POST", "/api/v3/worker/sign-off", undefined, w.auth);
    expect(h.worker(w.uuid)).toMatchObject({ status: "offline", statusRequested: "" });
    expect(h.workerEvents().at(-1)).toMatchObject({ status: "offline", previous_status: "starting" });

    const w2 = await h.signedOn();
    await h.reportState(w2, "awake");
    await requestStatus(h, w2.uuid, "asleep", true);
    await h.request("POST", "/api/v3/worker/sign-off", undefined, w2.auth);
    expect(h.worker(w2.uuid)).toMatchObject({ statusRequested: "asleep", lazyStatusRequest: true });
  });
});

describe("status-change requests", () => {
  test("lazy and immediate requests are stored, announced and read back for the scheduler", async () => {
    const h = createHarness();
    const w = await h.signedOn("w");
    await h.reportState(w, "awake");
    h.clearEvents();

    expect((await requestStatus(h, w.uuid, "asleep", true)).status).toBe(204);
    let row = h.worker(w.uuid)!;
    expect(pendingStatusRequest(row)).toEqual({ status: "asleep", isLazy: true });
    expect(statusRequestAbortsTask(row)).toBe(false);
    expect(h.workerEvents().at(-1)).toMatchObject({
      name: "w",
      status: "awake",
      status_change: { status: "asleep", is_lazy: true },
    });
    expect(h.workerEvents().at(-1)).not.toHaveProperty("previous_status");

    expect((await requestStatus(h, w.uuid, "offline", false)).status).toBe(204);
    row = h.worker(w.uuid)!;
    expect(pendingStatusRequest(row)).toEqual({ status: "offline", isLazy: false });
    expect(statusRequestAbortsTask(row)).toBe(true);
  });

  test("asking for the current status cancels the pending request", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    await h.reportState(w, "awake");
    await requestStatus(h, w.uuid, "asleep", false);
    expect((await requestStatus(h, w.uuid, "awake", true)).status).toBe(204);
    const row = h.worker(w.uuid)!;
    expect(pendingStatusRequest(row)).toBeNull();
    expect(h.workerEvents().at(-1)).not.toHaveProperty("status_change");
  });

  test("restart only for workers that can restart", async () => {
    const h = createHarness();
    const cannot = await h.signedOn("stubborn", false);
    const res = await requestStatus(h, cannot.uuid, "restart", false);
    expect(res.status).toBe(412);
    expect(await json(res)).toEqual({
      code: 412,
      message: `worker "${cannot.uuid}" does not know how to restart`,
    });
    expect(h.worker(cannot.uuid)!.statusRequested).toBe("");

    const can = await h.signedOn("flexible", true);
    expect((await requestStatus(h, can.uuid, "restart", true)).status).toBe(204);
    expect(h.worker(can.uuid)!.statusRequested).toBe("restart");
  });

  test("statuses a human cannot ask for, bad bodies, bad and unknown ids", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    for (const status of ["error", "testing"]) {
      const res = await requestStatus(h, w.uuid, status, false);
      expect(res.status).toBe(400);
      expect((await json(res)).message as string).toContain(status);
    }
    expect((await requestStatus(h, w.uuid, "sideways", false)).status).toBe(400);
    expect(
      (await h.request("POST", `/api/v3/worker-mgt/workers/${w.uuid}/setstatus`, { status: "awake" })).status,
    ).toBe(400);
    expect((await requestStatus(h, "not-a-uuid", "awake", false)).status).toBe(400);
    const unknown = await requestStatus(h, crypto.randomUUID(), "awake", false);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).code).toBe(404);
  });
});

describe("the whole handshake of a stock Worker", () => {
  test("register → sign-on → awake → asleep on request → sign-off, with events in order", async () => {
    const h = createHarness();
    const w = await h.register("stock");
    const signOn = await h.request("POST", "/api/v3/worker/sign-on", signOnBody({ name: "stock" }), w.auth);
    expect(await json(signOn)).toEqual({ status_requested: "awake" });
    await h.reportState(w, "awake");
    await requestStatus(h, w.uuid, "asleep", false);
    const state = await h.request("GET", "/api/v3/worker/state", undefined, w.auth);
    expect(await json(state)).toEqual({ status_requested: "asleep" });
    await h.reportState(w, "asleep");
    await h.request("POST", "/api/v3/worker/sign-off", undefined, w.auth);

    const seen = h.workerEvents().map((e) => [e.name, e.status, e.previous_status ?? null]);
    expect(seen).toEqual([
      ["stock", "starting", null],
      ["stock", "awake", "starting"],
      ["stock", "awake", null],
      ["stock", "asleep", "awake"],
      ["stock", "offline", "asleep"],
    ]);
    expect(h.db.orm.select().from(workers).where(eq(workers.uuid, w.uuid)).get()).toMatchObject({
      status: "offline",
      statusRequested: "asleep",
    });
  });
});
