// Shared set-up for worker unit tests: a real in-process Manager that knows a "worker-test" job
// type (one task running the commands given in its settings), a registered worker's API client,
// and shortcuts to submit jobs and fetch tasks.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/shared/log";
import {
  createManagerClient,
  type AssignedTask,
  type ManagerApi,
  type WorkerCredentials,
} from "../../src/worker/client";
import { scaleTimings } from "../../src/worker/constants";
import { registerOrSignOn, type RegistrationDeps } from "../../src/worker/registration";
import { startTestManager, type TestManager, type TestManagerOptions } from "../support/manager";
import { openUpdateQueueDb, Upstream } from "../../src/worker/upstream";

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

export interface TestCommand {
  name: string;
  parameters: Record<string, unknown>;
  total_step_count?: number;
}

/** Submits a one-task job running `commands`; answers the job id. */
export async function submitCommands(
  managerUrl: string,
  commands: TestCommand[],
  taskType = "misc",
): Promise<string> {
  const res = await fetch(`${managerUrl}/api/v3/jobs`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      name: "worker test",
      type: "worker-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { commands: JSON.stringify(commands), task_type: taskType },
    }),
  });
  if (!res.ok) throw new Error(`submitting a job: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
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

export async function taskJson(managerUrl: string, taskId: string): Promise<any> {
  return (await fetch(`${managerUrl}/api/v3/tasks/${taskId}`)).json();
}

export async function taskLog(managerUrl: string, taskId: string): Promise<string> {
  const res = await fetch(`${managerUrl}/api/v3/tasks/${taskId}/log`);
  if (res.status !== 200) return "";
  const info = await res.json();
  return (await fetch(new URL(info.url, managerUrl))).text();
}

/** Cancels a job, so its leftover (e.g. soft-failed) tasks are not handed to the next test's worker. */
export async function cancelJob(managerUrl: string, jobId: string): Promise<void> {
  const job = await (await fetch(`${managerUrl}/api/v3/jobs/${jobId}`)).json();
  if (["completed", "canceled", "failed"].includes(job.status)) return;
  await fetch(`${managerUrl}/api/v3/jobs/${jobId}/setstatus`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ status: "cancel-requested", reason: "test finished" }),
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
