// Shared set-up for worker unit tests: a real in-process Manager that knows a "worker-test" job
// type (one task running the commands given in its settings), a fault proxy in front of it, a
// registered worker's API client, and shortcuts to submit jobs and fetch tasks.
import { afterAll, beforeAll } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import createClient from "openapi-fetch";
import { silentLogger } from "../../src/shared/log";
import {
  createManagerClient,
  type AssignedTask,
  type ManagerApi,
  type Schemas,
  type WorkerCredentials,
} from "../../src/worker/client";
import type { paths } from "../../src/worker/client/schema";
import { scaleTimings } from "../../src/worker/constants";
import { registerOrSignOn, type RegistrationDeps } from "../../src/worker/registration";
import { startTestManager, type TestManager, type TestManagerOptions } from "../support/manager";
import { openUpdateQueueDb, Upstream } from "../../src/worker/upstream";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";

/** The worker loops' waits at 1/100 of Flamenco's (30 ms first poll, 100 ms may-i-run). */
export const FAST_TIMINGS = scaleTimings(0.01);

const WORKER_TEST_JOB_TYPE = `
const JOB_TYPE = {
  label: "Worker test",
  settings: [
    { key: "commands", type: "string", required: true },
    { key: "task_type", type: "string", default: "misc" },
  ],
};
function compileJob(job) {
  const task = author.Task("test", job.settings.task_type);
  for (const c of JSON.parse(job.settings.commands)) {
    task.addCommand(author.Command(c.name, c.parameters, c.total_step_count || 0));
  }
  job.addTask(task);
}
`;

export async function startWorkerTestManager(opts: TestManagerOptions = {}): Promise<TestManager> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "tablao-worker-test-"));
  mkdirSync(join(dir, "scripts"), { recursive: true });
  writeFileSync(join(dir, "scripts", "worker_test.js"), WORKER_TEST_JOB_TYPE);
  return startTestManager({ ...opts, dir });
}

/** A Manager and the fault proxy in front of it, shared by the tests of a file or describe block. */
export interface ProxiedManager {
  readonly manager: TestManager;
  readonly proxy: FaultProxy;
}

/**
 * Registers the hooks that start a Manager (`start`, by default one knowing the worker-test job
 * type) and a fault proxy before the tests of the calling scope, and stop both after them. Read
 * the answer's fields from tests and hooks only: they are set in beforeAll. Bun runs afterAll
 * hooks in declaration order, so cleanup that needs the Manager goes in one declared before this.
 */
export function useProxiedManager(
  start: () => Promise<TestManager> = startWorkerTestManager,
): ProxiedManager {
  let started: ProxiedManager | null = null;
  const get = (): ProxiedManager => {
    if (!started) throw new Error("the Manager is started in beforeAll; use it from tests and hooks");
    return started;
  };
  beforeAll(async () => {
    const manager = await start();
    started = { manager, proxy: startFaultProxy(manager.url) };
  });
  afterAll(async () => {
    await started?.proxy.stop();
    await started?.manager.destroy();
  });
  return {
    get manager() {
      return get().manager;
    },
    get proxy() {
      return get().proxy;
    },
  };
}

export interface TestCommand {
  name: string;
  parameters: Record<string, unknown>;
  total_step_count?: number;
}

/** The Manager's API as job submitters and the web app use it: typed, without worker credentials. */
export function managerClient(managerUrl: string) {
  return createClient<paths>({ baseUrl: managerUrl });
}

/** A request body the worker sent, parsed; the worker sends JSON objects, so anything else throws. */
export function sentJson(body: Uint8Array): Record<string, unknown> {
  const value: unknown = JSON.parse(new TextDecoder().decode(body));
  if (!isRecord(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Submits a one-task job running `commands`; answers the job id. */
export async function submitCommands(
  managerUrl: string,
  commands: TestCommand[],
  taskType = "misc",
): Promise<string> {
  const { data, error, response } = await managerClient(managerUrl).POST("/api/v3/jobs", {
    body: {
      name: "worker test",
      type: "worker-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { commands: JSON.stringify(commands), task_type: taskType },
    },
  });
  if (!data) throw new Error(`submitting a job: ${response.status} ${JSON.stringify(error)}`);
  return data.id;
}

export interface TestWorker {
  api: ManagerApi;
  credentials: () => WorkerCredentials | null;
  registration: RegistrationDeps;
  workerId(): string;
}

/** A worker API client with in-memory credentials; `register` also registers and signs it on. */
export async function testWorker(
  managerUrl: string,
  opts: { register?: boolean; name?: string; canRestart?: boolean } = {},
): Promise<TestWorker> {
  let creds: WorkerCredentials | null = null;
  const api = createManagerClient({ baseUrl: managerUrl, credentials: () => creds, timeoutMs: 5_000 });
  const registration: RegistrationDeps = {
    api,
    credentials: { get: () => creds, set: (c) => (creds = c) },
    identity: {
      name: opts.name ?? "unit-test-worker",
      platform: "linux",
      taskTypes: ["misc", "blender", "ffmpeg", "file-management"],
      softwareVersion: "test",
      canRestart: opts.canRestart ?? false,
    },
    retryMinMs: 10,
    retryMaxMs: 50,
    log: silentLogger,
  };
  if (opts.register !== false) await registerOrSignOn(registration, new AbortController().signal);
  return { api, credentials: () => creds, registration, workerId: () => creds!.workerId };
}

/** Tells the Manager the worker is awake and takes the next task. */
export async function takeTask(worker: TestWorker): Promise<AssignedTask> {
  await worker.api.POST("/api/v3/worker/state-changed", { body: { status: "awake" } });
  const { data, response } = await worker.api.POST("/api/v3/worker/task");
  if (response.status !== 200 || !data) throw new Error(`no task: ${response.status}`);
  return data;
}

export async function taskJson(managerUrl: string, taskId: string): Promise<Schemas["Task"]> {
  const { data, error, response } = await managerClient(managerUrl).GET("/api/v3/tasks/{task_id}", {
    params: { path: { task_id: taskId } },
  });
  if (!data) throw new Error(`fetching task ${taskId}: ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/** The task's whole log; empty when it has none (yet). */
export async function taskLog(managerUrl: string, taskId: string): Promise<string> {
  const { data: info, response } = await managerClient(managerUrl).GET("/api/v3/tasks/{task_id}/log", {
    params: { path: { task_id: taskId } },
  });
  if (response.status !== 200 || !info) return "";
  return (await fetch(new URL(info.url, managerUrl))).text();
}

/** Cancels a job, so its leftover (e.g. soft-failed) tasks are not handed to the next test's worker. */
export async function cancelJob(managerUrl: string, jobId: string): Promise<void> {
  const api = managerClient(managerUrl);
  const { data: job } = await api.GET("/api/v3/jobs/{job_id}", { params: { path: { job_id: jobId } } });
  if (job && ["completed", "canceled", "failed"].includes(job.status)) return;
  await api.POST("/api/v3/jobs/{job_id}/setstatus", {
    params: { path: { job_id: jobId } },
    body: { status: "cancel-requested", reason: "test finished" },
  });
}

/** An Upstream with short retry waits, queueing into the SQLite file at `dbPath`. */
export function testUpstream(api: ManagerApi, dbPath: string): Upstream {
  return new Upstream({
    db: openUpdateQueueDb(dbPath),
    api,
    log: silentLogger,
    retryMinMs: 10,
    retryMaxMs: 40,
  });
}
