// The worker services on a test farm (test/support/builders.ts: fresh database, builders, fake
// clock, recorded events) with the real state machine and the HTTP app with worker auth and
// handlers, plus registering and signing on through the API. Callers of the manager API are
// `principal` (by default an admin, as the Manager's own machine is), standing in for the
// access-control middleware.
import type { Principal } from "../../../src/manager/auth/principal";
import { createApiApp } from "../../../src/manager/api/http";
import { workerHandlers } from "../../../src/manager/api/handlers/workers";
import { registerHandlers } from "../../../src/manager/api/handlers/registry";
import { installWorkerAuth, WORKER_API_PREFIX } from "../../../src/manager/api/worker-auth";
import { createStateMachine } from "../../../src/manager/state-machine/state-machine";
import { createWorkerAuth, type WorkerAuthDeps } from "../../../src/manager/farm/auth";
import { createFarmStatus } from "../../../src/manager/farm/farm-status";
import { basicAuthHeader } from "../../../src/worker/client";
import { silentLogger } from "../../../src/shared/log";
import { createTestFarm, DEFAULT_THRESHOLDS } from "../../support/builders";
import { FakeClock } from "../../support/fake-clock";

export const SECRET = "4f0bcb1b8e0a9d2c7d5b0a6f1e3c2b4a5d6e7f8091a2b3c4d5e6f708192a3b4c";

const LOCAL_ADMIN: Principal = { role: "admin", name: "127.0.0.1", via: "network", address: "" };

export interface HarnessOptions {
  path?: string;
  /** What the access-control middleware would have set on manager-API requests; null: nothing. */
  principal?: Principal | null;
  /** auth.worker_registration_secret; "" (the default) is unset. */
  registrationSecret?: string;
  throttleLimits?: WorkerAuthDeps["throttleLimits"];
}

export function createHarness(opts: HarnessOptions = {}) {
  const farm = createTestFarm({ path: opts.path, clock: new FakeClock(Date.parse("2026-01-06T10:00:00Z")) });
  const { db, clock, broker } = farm;
  const taskLogLines: { taskUUID: string; line: string }[] = [];
  const sm = createStateMachine({
    db,
    broker,
    clock,
    taskLogs: { appendManagerLine: (_job, taskUUID, line) => taskLogLines.push({ taskUUID, line }) },
    log: () => {},
    thresholds: () => DEFAULT_THRESHOLDS,
  });
  const logs: string[] = [];
  const farmStatus = createFarmStatus({ db, broker, clock, warn: (msg) => logs.push(msg) });
  const auth = createWorkerAuth({ db, clock, throttleLimits: opts.throttleLimits });
  const app = createApiApp(() => {});
  const principal = opts.principal === undefined ? LOCAL_ADMIN : opts.principal;
  if (principal) {
    app.use("/api/v3/*", async (c, next) => {
      if (!c.req.path.startsWith(WORKER_API_PREFIX) || c.req.path.endsWith("/register-worker")) {
        c.set("principal", principal);
      }
      await next();
    });
  }
  installWorkerAuth(app, auth);
  const config = { auth: { workerRegistrationSecret: opts.registrationSecret ?? "" } };
  registerHandlers(app, workerHandlers({ db, broker, clock, requeue: sm, farmStatus, config: () => config, log: silentLogger }));

  const h = {
    ...farm,
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
    async register(name = `worker-${farm.sequence()}`, extra: Record<string, unknown> = {}) {
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

    workerEvents: () => farm.eventsOf("/workers"),
    tagEvents: () => farm.eventsOf("/workertags"),
  };
  return h;
}

export type Harness = ReturnType<typeof createHarness>;
