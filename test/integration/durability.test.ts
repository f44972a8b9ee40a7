// What a worker was told is saved survives `kill -9` of the Manager: a real Manager process,
// workers (played by the test, over HTTP, as Flamenco's worker speaks) streaming log lines,
// SIGKILL right after a batch of 204s, a restart on the same folder, and then every acknowledged
// line in its task's log file, in order, and every acknowledged status change in the database.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { killChildren, managerApi, startManager, type ManagerProcess } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";

const WORKERS = 6;
const ROUNDS = 3;
/** Acknowledged updates (all workers together) after which a round kills the Manager. */
const ACKS_BEFORE_KILL = 120;
const LINES_PER_UPDATE = 3;

const newDir = tempDirs("tablao-durability");
afterAll(killChildren);

interface Worker {
  name: string;
  auth: string;
  taskId: string;
  jobId: string;
  /** Lines the Manager answered 2xx for, in the order they were sent. */
  acknowledged: string[];
}

async function call(url: string, auth: string | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`${url}/api/v3${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Registers, signs on and wakes a worker, and has it take one task. */
async function startWorker(url: string, name: string): Promise<Worker> {
  const secret = crypto.randomUUID().replaceAll("-", "").repeat(2);
  const registered = await call(url, null, "POST", "/worker/register-worker", {
    name,
    secret,
    platform: "linux",
    supported_task_types: ["misc"],
  });
  expect(registered.status).toBe(200);
  const { uuid } = (await registered.json()) as { uuid: string };
  const auth = `Basic ${btoa(`${uuid}:${secret}`)}`;
  const signOn = { name, supported_task_types: ["misc"], software_version: "3.9" };
  expect((await call(url, auth, "POST", "/worker/sign-on", signOn)).status).toBe(200);
  expect((await call(url, auth, "POST", "/worker/state-changed", { status: "awake" })).status).toBe(204);
  const assigned = await call(url, auth, "POST", "/worker/task");
  expect(assigned.status).toBe(200);
  const task = (await assigned.json()) as { uuid: string; job: string };
  return { name, auth, taskId: task.uuid, jobId: task.job, acknowledged: [] };
}

/**
 * Every worker sends updates with fresh lines one after the other, as a worker delivers its
 * queue; the update that brings the acknowledged total to ACKS_BEFORE_KILL kills the Manager
 * before anything else runs. Updates in flight then fail and are not acknowledged.
 */
async function streamUntilKilled(m: ManagerProcess, workers: Worker[], round: number): Promise<void> {
  let acks = 0;
  let killed: Promise<void> | null = null;
  await Promise.all(
    workers.map(async (w) => {
      for (let update = 0; killed === null; update++) {
        const lines = Array.from(
          { length: LINES_PER_UPDATE },
          (_, i) => `round ${round} ${w.name} update ${update} line ${i}`,
        );
        const res = await call(m.url, w.auth, "POST", `/worker/task/${w.taskId}`, {
          activity: `update ${update}`,
          log: lines.join("\n"),
        }).catch(() => null);
        if (res === null) return; // the Manager is gone
        expect(res.status).toBe(204);
        w.acknowledged.push(...lines);
        if (++acks === ACKS_BEFORE_KILL) killed = m.stop("SIGKILL");
      }
    }),
  );
  await killed;
}

function taskLogLines(dir: string, w: Worker): string[] {
  const path = join(dir, "storage", `job-${w.jobId.slice(0, 4)}`, w.jobId, `task-${w.taskId}.txt`);
  return readFileSync(path, "utf8").split("\n");
}

/** Every acknowledged line is in the log, in the order it was sent. */
function expectAcknowledgedInOrder(logLines: string[], w: Worker): void {
  const positions = new Map(logLines.map((line, i) => [line, i]));
  const missing = w.acknowledged.filter((line) => !positions.has(line));
  expect(missing).toEqual([]);
  const order = w.acknowledged.map((line) => positions.get(line) ?? -1);
  expect(order).toEqual([...order].sort((a, b) => a - b));
}

test(`acknowledged log lines and statuses survive kill -9 (${ROUNDS} rounds of ${WORKERS} workers)`, async () => {
  const dir = newDir();
  const m = await startManager(dir, { local_manager_storage_path: "storage" });
  const api = managerApi(m.url);
  for (let i = 0; i < WORKERS; i++) {
    await api.post("/api/v3/jobs", {
      name: `durability ${i}`,
      type: "echo-sleep-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { message: "hello", sleep_duration_seconds: 1, sleep_repeats: 1 },
    });
  }
  const workers: Worker[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(m.url, `durable-${i}`));

  for (let round = 1; round <= ROUNDS; round++) {
    await streamUntilKilled(m, workers, round);
    await m.restart();
    for (const w of workers) expectAcknowledgedInOrder(taskLogLines(dir, w), w);
  }
  expect(workers.every((w) => w.acknowledged.length > 0)).toBe(true);

  // Completions acknowledged right before a kill are kept too, with their log text.
  const completed = await Promise.all(
    workers.map(async (w) => {
      const res = await call(m.url, w.auth, "POST", `/worker/task/${w.taskId}`, {
        taskStatus: "completed",
        log: `${w.name} done`,
      });
      return res.status;
    }),
  );
  await m.stop("SIGKILL");
  expect(completed).toEqual(workers.map(() => 204));
  await m.restart();
  for (const w of workers) {
    expect(taskLogLines(dir, w)).toContain(`${w.name} done`);
    const task = (await api.get(`/api/v3/tasks/${w.taskId}`)) as { status: string };
    expect(task.status).toBe("completed");
  }
  await m.stop();
}, 120_000);
