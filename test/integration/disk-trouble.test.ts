// A Manager whose disks fill up or turn read-only: its storage folder and its database each on a
// small tmpfs the test mounts, fills and frees. Task updates whose log text or database change
// cannot be saved get 503 (the worker sends them again), nothing acknowledged is lost, and the
// Manager recovers by itself once space returns, without a restart.
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LogLevel } from "../../src/shared/log";
import { mountTmpfs, type Tmpfs } from "../support/tmpfs";
import { startTestManager, type TestManager } from "../support/manager";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

/** Enough for a fresh database with its WAL, or for a few task logs. */
const TMPFS_BYTES = 4 * 1024 * 1024;
/** Larger than the slack in a log file's last page, so a full disk cannot take any of it. */
const LOG_TEXT_BYTES = 8 * 1024;
/** Updates sent to a full database before it must have refused one. */
const MAX_UPDATES_UNTIL_FULL = 200;

const mounted: Tmpfs[] = [];
let m: TestManager | null = null;
let logged: { level: LogLevel; msg: string }[] = [];

afterEach(async () => {
  await m?.stop();
  m = null;
  logged = [];
});
afterAll(() => {
  for (const disk of mounted) disk.unmount();
});
// After the afterAll above, which must unmount before the folders are removed.
const newDir = tempDirs("tablao-disk-trouble");

function tmpfsIn(dir: string, name: string): Tmpfs {
  const mountPoint = join(dir, name);
  mkdirSync(mountPoint);
  const disk = mountTmpfs(mountPoint, TMPFS_BYTES);
  mounted.push(disk);
  return disk;
}

async function manager(dir: string, config: Record<string, unknown>): Promise<TestManager> {
  m = await startTestManager({ dir, config, logger: (level, msg) => logged.push({ level, msg }) });
  return m;
}

interface Answer {
  status: number;
  body: { code?: number; message?: string; uuid?: string; job?: string; status?: string } | null;
}

async function call(url: string, auth: string | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${url}/api/v3${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // The fields a test reads are checked by its assertions.
  const json = (text ? JSON.parse(text) : null) as Answer["body"];
  return { status: res.status, body: json };
}

/** A job of one task, and a worker that has taken it. */
async function workerWithTask(url: string) {
  const job = await call(url, null, "POST", "/jobs", {
    name: "disk trouble",
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message: "hello", sleep_duration_seconds: 1, sleep_repeats: 1 },
  });
  expect(job.status).toBe(200);
  const secret = crypto.randomUUID().replaceAll("-", "").repeat(2);
  const registered = await call(url, null, "POST", "/worker/register-worker", {
    name: "filler",
    secret,
    platform: "linux",
    supported_task_types: ["misc"],
  });
  expect(registered.status).toBe(200);
  const auth = `Basic ${btoa(`${registered.body?.uuid}:${secret}`)}`;
  const signOn = { name: "filler", supported_task_types: ["misc"], software_version: "3.9" };
  expect((await call(url, auth, "POST", "/worker/sign-on", signOn)).status).toBe(200);
  expect((await call(url, auth, "POST", "/worker/state-changed", { status: "awake" })).status).toBe(204);
  const assigned = await call(url, auth, "POST", "/worker/task");
  expect(assigned.status).toBe(200);
  const taskId = assigned.body?.uuid ?? "";
  const jobId = assigned.body?.job ?? "";
  const update = (body: Record<string, unknown>) => call(url, auth, "POST", `/worker/task/${taskId}`, body);
  const status = async () => (await call(url, null, "GET", `/tasks/${taskId}`)).body?.status;
  return { taskId, jobId, update, status };
}

/** Text of `bytes` bytes, whose first line names it. */
const logText = (name: string, bytes = LOG_TEXT_BYTES) => `${name}\n${"·".repeat(bytes / 2 - name.length)}`;

/** The worker's text in a log: without the Manager's own (time-stamped) lines. */
function workerText(path: string): string {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) /.test(line))
    .join("\n");
}

test("a full, then read-only storage folder: 503 naming the log and the error, nothing acknowledged lost, recovery without restart", async () => {
  const dir = newDir();
  const storage = tmpfsIn(dir, "storage");
  const { url } = await manager(dir, { local_manager_storage_path: storage.dir });
  const w = await workerWithTask(url);
  const path = join(storage.dir, `job-${w.jobId.slice(0, 4)}`, w.jobId, `task-${w.taskId}.txt`);
  const acknowledged: string[] = [];
  const send = async (name: string, extra: Record<string, unknown> = {}) => {
    const answer = await w.update({ log: logText(name), ...extra });
    if (answer.status === 204) acknowledged.push(logText(name));
    return answer;
  };

  expect((await send("before the disk filled up")).status).toBe(204);
  storage.fill();
  for (const name of ["refused 1", "refused 2"]) {
    const refused = await send(name);
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      code: 503,
      message: `cannot write task log ${path}: ENOSPC: no space left on device, write`,
    });
  }
  // A status change whose text cannot be written is not made either.
  expect((await send("completing", { taskStatus: "completed" })).status).toBe(503);
  expect(await w.status()).toBe("active");
  expect(logged).toContainEqual({
    level: "warn",
    msg: `task log ${path}: ENOSPC: no space left on device, write; the worker's task update is refused (503) until it can be written`,
  });

  storage.free();
  // The worker sends its refused updates again, in order.
  for (const name of ["refused 1", "refused 2"]) expect((await send(name)).status).toBe(204);
  expect(logged.at(-1)).toEqual({
    level: "warn",
    msg: "task logs: writing works again; 2 more write(s) had failed meanwhile",
  });

  storage.readOnly(true);
  try {
    const refused = await send("read-only");
    expect(refused.status).toBe(503);
    expect(refused.body?.message).toStartWith(`cannot write task log ${path}: EROFS: read-only file system`);
  } finally {
    storage.readOnly(false);
  }
  expect((await send("read-only")).status).toBe(204);
  expect((await send("completing", { taskStatus: "completed" })).status).toBe(204);
  expect(await w.status()).toBe("completed");

  expect(workerText(path)).toBe(acknowledged.map((text) => `${text}\n`).join(""));
});

test("a full database disk: 503 (never a 500 or a crash), and task updates work again once space returns", async () => {
  const dir = newDir();
  const database = tmpfsIn(dir, "database");
  const { url } = await manager(dir, {
    database: join(database.dir, "flamenco-manager.sqlite"),
    local_manager_storage_path: join(dir, "storage"),
  });
  const w = await workerWithTask(url);

  database.fill();
  const answers: number[] = [];
  let refused: Answer | null = null;
  for (let i = 0; i < MAX_UPDATES_UNTIL_FULL && refused === null; i++) {
    const answer = await w.update({ activity: `update ${i}`, log: logText(`while full ${i}`, 64) });
    answers.push(answer.status);
    if (answer.status !== 204) refused = answer;
  }
  expect(refused?.status).toBe(503);
  expect(refused?.body?.code).toBe(503);
  expect(refused?.body?.message).toStartWith("the database could not save the change: ");
  expect(logged.some((l) => l.level === "error" && l.msg.startsWith("database commit failed"))).toBe(true);
  expect(answers.filter((s) => s !== 204 && s !== 503)).toEqual([]);
  expect(await w.status()).toBe("active");

  database.free();
  await waitFor(
    "a task update to be accepted again",
    async () => (await w.update({ activity: "back" })).status === 204,
  );
  expect((await w.update({ taskStatus: "completed", log: "done" })).status).toBe(204);
  expect(await w.status()).toBe("completed");
  expect(logged.filter((l) => l.msg.includes("internal error"))).toEqual([]);
});
