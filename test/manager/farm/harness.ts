// The worker services on a fresh in-memory database with the real broker and state machine,
// the HTTP app with worker auth and handlers, seeding helpers and an event recorder.
import { eq } from "drizzle-orm";
import { createApiApp } from "../../../src/manager/api/http";
import { workerHandlers } from "../../../src/manager/api/handlers/workers";
import { registerHandlers } from "../../../src/manager/api/handlers/registry";
import { installWorkerAuth } from "../../../src/manager/api/worker-auth";
import { openDatabase } from "../../../src/manager/db/open";
import { jobs, tasks, workers, type JobRow, type TaskRow, type WorkerRow } from "../../../src/manager/db/schema";
import { createEventBroker, type PublishedEvent } from "../../../src/manager/events/broker";
import { createStateMachine } from "../../../src/manager/state-machine/state-machine";
import { WorkerAuthenticator } from "../../../src/manager/farm/auth";
import { FarmStatusService } from "../../../src/manager/farm/farm-status";
import { basicAuthHeader } from "../../../src/worker/client";
import { FakeClock } from "../../support/fake-clock";

type Payload = Record<string, unknown>;

export const SECRET = "4f0bcb1b8e0a9d2c7d5b0a6f1e3c2b4a5d6e7f8091a2b3c4d5e6f708192a3b4c";

export function createHarness(opts: { path?: string } = {}) {
  const { db, sqlite, close } = openDatabase(opts.path ?? ":memory:");
  const clock = new FakeClock(Date.parse("2026-01-06T10:00:00Z"));
  const broker = createEventBroker();
  const events: PublishedEvent[] = [];
  broker.listen((e) => events.push(e));
  const taskLogLines: { taskUUID: string; line: string }[] = [];
  const sm = createStateMachine({
    clock,
    taskLogs: { appendManagerLine: (_job, taskUUID, line) => taskLogLines.push({ taskUUID, line }) },
    log: () => {},
    thresholds: () => ({ blocklistThreshold: 3, taskFailAfterSoftfailCount: 3 }),
  });
  const logs: string[] = [];
  const farmStatus = new FarmStatusService({ db, broker, clock, log: (msg) => logs.push(msg) });
  const auth = new WorkerAuthenticator(db);
  const app = createApiApp(() => {});
  installWorkerAuth(app, auth);
  registerHandlers(app, workerHandlers({ db, broker, clock, requeue: sm, farmStatus }));
  let seq = 0;

  const h = {
    db,
    sqlite,
    close,
    clock,
    broker,
    events,
    taskLogLines,
    logs,
    farmStatus,
    auth,
    app,

    request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      return app.request(path, {
        method,
        headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
    },

    /** Registers through the API; returns the worker's UUID and its authorization header. */
    async register(name = `worker-${++seq}`, extra: Record<string, unknown> = {}) {
      const res = await h.request("POST", "/api/v3/worker/register-worker", {
        name,
        secret: SECRET,
        platform: "linux",
        supported_task_types: ["blender", "misc"],
        ...extra,
      });
      if (res.status !== 200) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
      const uuid = ((await res.json()) as { uuid: string }).uuid;
      return { uuid, auth: { Authorization: basicAuthHeader(uuid, SECRET) } };
    },

    /** Registers and signs on; `can_restart` as given. */
    async signedOn(name?: string, canRestart = false) {
      const w = await h.register(name);
      const res = await h.request(
        "POST",
        "/api/v3/worker/sign-on",
        {
          name: name ?? "signed-on",
          supported_task_types: ["blender", "misc"],
          software_version: "3.9",
          can_restart: canRestart,
        },
        w.auth,
      );
      if (res.status !== 200) throw new Error(`sign-on failed: ${res.status}`);
      return w;
    },

    /** Makes the worker report `status` (e.g. `awake`) through the API. */
    async reportState(w: { auth: Record<string, string> }, status: string) {
      const res = await h.request("POST", "/api/v3/worker/state-changed", { status }, w.auth);
      if (res.status !== 204) throw new Error(`state-changed failed: ${res.status}`);
    },

    worker(uuid: string): WorkerRow | undefined {
      return db.select().from(workers).where(eq(workers.uuid, uuid)).get();
    },

    addJob(status: string): JobRow {
      const at = clock.now();
      return db
        .insert(jobs)
        .values({
          uuid: crypto.randomUUID(),
          name: `job ${++seq}`,
          jobType: "simple-blender-render",
          status,
          settings: {},
          metadata: {},
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
    },

    addTask(job: JobRow, status: string, worker?: WorkerRow): TaskRow {
      const at = clock.now();
      const index = ++seq;
      return db
        .insert(tasks)
        .values({
          uuid: crypto.randomUUID(),
          name: `task ${index}`,
          type: "blender",
          jobId: job.id,
          indexInJob: index,
          status,
          workerId: worker?.id ?? null,
          commands: [],
          stepsTotal: 1,
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
    },

    task(row: TaskRow): TaskRow {
      return db.select().from(tasks).where(eq(tasks.id, row.id)).get()!;
    },

    workerEvents(): Payload[] {
      return events.filter((e) => e.event === "/workers").map((e) => e.payload as Payload);
    },

    tagEvents(): Payload[] {
      return events.filter((e) => e.event === "/workertags").map((e) => e.payload as Payload);
    },

    clearEvents(): void {
      events.length = 0;
    },
  };
  return h;
}

export type Harness = ReturnType<typeof createHarness>;
