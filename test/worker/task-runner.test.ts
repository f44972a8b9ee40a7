import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLogger, silentLogger } from "../../src/shared/log";
import { runTask, type TaskRunnerDeps } from "../../src/worker/task-runner";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";
import {
  cancelJob,
  managerClient,
  sentJson,
  submitCommands,
  takeTask,
  taskJson,
  taskLog,
  testWorker,
  type TestCommand,
  type TestWorker,
  testUpstream,
  useProxiedManager,
} from "./farm";

const STANDIN = resolve(import.meta.dir, "../support/blender-standin.ts");
const farm = useProxiedManager();
const tempDir = tempDirs("tablao-task-runner");
const running = new AbortController().signal;

interface Harness {
  worker: TestWorker;
  deps: TaskRunnerDeps;
  previews: string[];
}

async function harness(): Promise<Harness> {
  const worker = await testWorker(farm.proxy.url);
  const previews: string[] = [];
  const upstream = testUpstream(worker.api, join(tempDir(), "queue.sqlite"));
  const deps: TaskRunnerDeps = {
    api: worker.api,
    upstream,
    previews: { offer: (_taskId, path) => void previews.push(path) },
    subprocess: {
      oomScoreAdjust: null,
      killGraceMs: 1_000,
      which: (n) => Bun.which(n),
      platform: process.platform,
    },
    mayIRunPeriodMs: 50,
    logChunkMaxAgeMs: 1_000,
    log: silentLogger,
  };
  return { worker, deps, previews };
}

const jobs: string[] = [];
afterEach(async () => {
  for (const id of jobs.splice(0)) await cancelJob(farm.manager.url, id);
});

async function assigned(h: Harness, commands: TestCommand[]) {
  jobs.push(await submitCommands(farm.manager.url, commands));
  return takeTask(h.worker);
}

/** The bodies of the task updates the worker sent for `taskId`, in order. */
function updatesSent(taskId: string): Record<string, unknown>[] {
  return farm.proxy.requests
    .filter((r) => r.path === `/api/v3/worker/task/${taskId}`)
    .map((r) => sentJson(r.body));
}

test("commands run in order; each step and the completion are reported", async () => {
  const h = await harness();
  const task = await assigned(h, [
    { name: "echo", parameters: { message: "first" } },
    { name: "sleep", parameters: { duration_in_seconds: 0 } },
  ]);
  expect(await runTask(task, h.deps, running)).toEqual({ kind: "completed" });
  expect(updatesSent(task.uuid)).toEqual([
    { activity: "Started", taskStatus: "active" },
    { log: 'echo: "first"' },
    { activity: "Progress", steps_completed: 1 },
    { log: "slept 0s" },
    { activity: "Progress", steps_completed: 2 },
    { activity: "Completed", taskStatus: "completed" },
  ]);
  const saved = await taskJson(farm.manager.url, task.uuid);
  expect(saved.status).toBe("completed");
  expect(saved.steps_completed).toBe(2);
});

test("the first failing command fails the task with its error; later commands do not run", async () => {
  const h = await harness();
  const task = await assigned(h, [
    { name: "echo", parameters: { message: "before" } },
    { name: "exec", parameters: { exe: "/bin/sh", args: ["-c", "echo oops >&2; exit 4"] } },
    { name: "echo", parameters: { message: "never" } },
  ]);
  const outcome = await runTask(task, h.deps, running);
  expect(outcome).toEqual({ kind: "failed", message: "command exited abnormally with code 4" });
  expect(updatesSent(task.uuid).at(-1)).toEqual({
    activity: "Failed: command exited abnormally with code 4",
    log: "Failed: command exited abnormally with code 4",
    taskStatus: "failed",
  });
  const log = await taskLog(farm.manager.url, task.uuid);
  expect(log).toMatch(/pid=\d+ > oops/);
  expect(log).not.toContain("never");
  expect(["failed", "soft-failed"]).toContain((await taskJson(farm.manager.url, task.uuid)).status);
});

test("a refused failure report (the task is no longer this worker's) is no reason to stop anything", async () => {
  const h = await harness();
  const lines: string[] = [];
  // The watchdog must not notice the requeue first: only the failure report may meet it.
  h.deps = { ...h.deps, mayIRunPeriodMs: 60_000, log: createLogger("debug", (s) => void lines.push(s)) };
  const go = join(tempDir(), "go");
  const task = await assigned(h, [
    {
      name: "exec",
      parameters: { exe: "/bin/sh", args: ["-c", `while [ ! -e '${go}' ]; do sleep 0.05; done; exit 4`] },
    },
  ]);
  const run = runTask(task, h.deps, running);
  await waitFor("the command to start", () => updatesSent(task.uuid).some((u) => typeof u.log === "string"));
  const requeued = await managerClient(farm.manager.url).POST("/api/v3/tasks/{task_id}/setstatus", {
    params: { path: { task_id: task.uuid } },
    body: { status: "queued", reason: "given to another worker" },
  });
  expect(requeued.response.status).toBe(204);
  writeFileSync(go, "");
  expect(await run).toEqual({ kind: "failed", message: "command exited abnormally with code 4" });
  expect(updatesSent(task.uuid).at(-1)).toMatchObject({ taskStatus: "failed" });
  expect((await taskJson(farm.manager.url, task.uuid)).status).toBe("queued");
  expect(lines.filter((l) => l.includes("stopping"))).toEqual([]);
});

test("an unknown command fails the task and says which commands exist", async () => {
  const h = await harness();
  const task = await assigned(h, [{ name: "create-video", parameters: {} }]);
  const outcome = await runTask(task, h.deps, running);
  expect(outcome.kind).toBe("failed");
  expect(await taskLog(farm.manager.url, task.uuid)).toContain(
    'Failed: unknown command: "create-video" (this worker knows echo',
  );
});

test("blender-render counts frames as steps and offers saved frames as previews", async () => {
  const h = await harness();
  const out = tempDir();
  const task = await assigned(h, [
    {
      name: "blender-render",
      parameters: {
        exe: process.execPath,
        exeArgs: STANDIN,
        blendfile: "",
        args: ["--render-output", join(out, "####"), "--render-frame", "1..3"],
      },
      total_step_count: 3,
    },
  ]);
  expect(await runTask(task, h.deps, running)).toEqual({ kind: "completed" });
  const steps = updatesSent(task.uuid)
    .filter((u) => u.activity === "Progress")
    .map((u) => u.steps_completed);
  expect(steps).toEqual([1, 2, 3]);
  expect(h.previews).toEqual(["0001.png", "0002.png", "0003.png"].map((f) => join(out, f)));
});

test("may-i-run saying no (status change requested) kills the command and reports nothing more", async () => {
  const h = await harness();
  const task = await assigned(h, [
    { name: "exec", parameters: { exe: "/bin/sh", args: ["-c", "echo working; sleep 30"] } },
    { name: "echo", parameters: { message: "never" } },
  ]);
  const run = runTask(task, h.deps, running);
  await fetch(`${farm.manager.url}/api/v3/worker-mgt/workers/${h.worker.workerId()}/setstatus`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ status: "asleep", is_lazy: false }),
  });
  const started = performance.now();
  const outcome = await run;
  expect(performance.now() - started).toBeLessThan(5_000);
  expect(outcome).toMatchObject({ kind: "aborted", statusChangeRequested: true });
  const sent = updatesSent(task.uuid);
  expect(sent.some((u) => u.taskStatus === "completed" || u.taskStatus === "failed")).toBe(false);
  expect(await taskLog(farm.manager.url, task.uuid)).not.toContain("never");
});

test("shutdown aborts the running task without reporting it failed", async () => {
  const h = await harness();
  const task = await assigned(h, [{ name: "sleep", parameters: { duration_in_seconds: 30 } }]);
  const shutdown = new AbortController();
  const run = runTask(task, h.deps, shutdown.signal);
  shutdown.abort();
  expect(await run).toMatchObject({ kind: "aborted", reason: "the worker is shutting down" });
  expect(updatesSent(task.uuid).filter((u) => u.taskStatus && u.taskStatus !== "active")).toEqual([]);
});

test("a task the Manager gave to another worker is not run (409 on Started)", async () => {
  const owner = await harness();
  const task = await assigned(owner, [{ name: "echo", parameters: { message: "not yours" } }]);
  const intruder = await harness();
  const outcome = await runTask(task, intruder.deps, running);
  expect(outcome.kind).toBe("not-run");
  expect(await taskLog(farm.manager.url, task.uuid)).not.toContain("not yours");
});
