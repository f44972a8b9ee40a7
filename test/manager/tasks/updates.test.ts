import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { mkdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import type { TaskRow, WorkerRow } from "../../../src/manager/db/schema";
import { ApiError } from "../../../src/manager/errors";
import { TaskLogDiscardedError } from "../../../src/manager/storage/task-logs";
import {
  createTaskUpdates,
  TASK_UPDATE_LOG_MAX_BYTES,
  type TaskUpdateBody,
} from "../../../src/manager/tasks/updates";
import { createFarm, type Farm } from "../../support/task-farm";
import { rejectedBy } from "../../support/thrown";

let farm: Farm;
afterEach(() => farm.close());

/** A job with `count` tasks, the first one handed to a fresh worker through the scheduler. */
async function running(count = 1, stepsTotal = 3) {
  const worker = farm.addWorker({ name: "Rafa" });
  const job = farm.addJob();
  const first = farm.addTask(job, { stepsTotal });
  farm.addTasks(job, count - 1, { stepsTotal });
  const r = await farm.scheduler.scheduleTask(worker);
  if (r.kind !== "assigned") throw new Error("nothing assigned");
  return { worker, job, task: farm.task(first.id) };
}

function update(worker: WorkerRow, task: TaskRow, body: TaskUpdateBody): Promise<void> {
  return farm.taskUpdates.updateTask(worker, task.uuid, body);
}

/** The status of the ApiError the call is refused with. */
async function refusal(call: () => Promise<unknown>): Promise<number> {
  return (await rejectedBy(ApiError, call)).status;
}

describe("progress", () => {
  beforeEach(() => {
    farm = createFarm();
  });

  test("activity, log and completion in one update: saved, logged in order, touched, seen", async () => {
    const { worker, job, task } = await running();
    farm.clock.advance(60_000);
    farm.clearEvents();

    await update(worker, task, { activity: "Completed", log: "frame 1 done", taskStatus: "completed" });

    const saved = farm.task(task.id);
    expect(saved.status).toBe("completed");
    expect(saved.activity).toBe("Completed");
    expect(saved.stepsCompleted).toBe(3);
    expect(saved.lastTouchedAt).toEqual(farm.clock.now());
    expect(farm.worker(worker.id).lastSeenAt).toEqual(farm.clock.now());
    expect((await farm.logLines(job, task)).slice(-2)).toEqual([
      "frame 1 done",
      "task changed status active -> completed",
    ]);
    expect(farm.job(job.id).status).toBe("completed");
    expect(farm.events.map((e) => e.event)).toEqual(["/tasklog", "/tasklog", "/task", "/jobs"]);
    expect(farm.eventsOf("/task")[0]).toMatchObject({ activity: "Completed", previous_status: "active" });
  });

  test("activity and steps in one update: both saved, the task touched, one task event with both", async () => {
    const { worker, task } = await running(1, 4);
    farm.clock.advance(30_000);
    farm.clearEvents();
    await update(worker, task, { activity: "Rendering frame 2", steps_completed: 1 });
    expect(farm.task(task.id)).toMatchObject({
      activity: "Rendering frame 2",
      stepsCompleted: 1,
      lastTouchedAt: farm.clock.now(),
      updatedAt: farm.clock.now(),
    });
    expect(farm.eventsOf("/task")).toMatchObject([
      { activity: "Rendering frame 2", steps_completed: 1, updated: farm.clock.now().toISOString() },
    ]);
  });

  test("a log-only update keeps activity and steps, and still touches the task", async () => {
    const { worker, job, task } = await running(1, 4);
    await update(worker, task, { activity: "Rendering", steps_completed: 2 });
    farm.clock.advance(30_000);
    farm.clearEvents();
    await update(worker, task, { log: "still rendering" });
    expect(farm.task(task.id)).toMatchObject({
      activity: "Rendering",
      stepsCompleted: 2,
      lastTouchedAt: farm.clock.now(),
    });
    expect((await farm.logLines(job, task)).at(-1)).toBe("still rendering");
    expect(farm.events.map((e) => e.event)).toEqual(["/tasklog"]);
  });

  test("an activity-only update is stored without an event", async () => {
    const { worker, task } = await running();
    farm.clearEvents();
    await update(worker, task, { activity: "Rendering frame 3" });
    expect(farm.task(task.id).activity).toBe("Rendering frame 3");
    expect(farm.events).toEqual([]);
  });

  test("steps are clamped to the total; the job's sums follow, with job and task events", async () => {
    const { worker, job, task } = await running(2, 3);
    farm.clearEvents();

    await update(worker, task, { steps_completed: 2 });
    expect(farm.task(task.id).stepsCompleted).toBe(2);
    expect(farm.job(job.id)).toMatchObject({ stepsCompleted: 2, stepsTotal: 6 });
    await update(worker, task, { steps_completed: 47 });
    expect(farm.task(task.id).stepsCompleted).toBe(3);
    expect(farm.job(job.id).stepsCompleted).toBe(3);

    const jobEvents = farm.eventsOf("/jobs");
    const taskEvents = farm.eventsOf("/task");
    expect(jobEvents.map((e) => e.steps_completed)).toEqual([2, 3]);
    expect(jobEvents.every((e) => !("previous_status" in e))).toBe(true);
    expect(taskEvents.map((e) => e.steps_completed)).toEqual([2, 3]);
    expect(taskEvents[0]).toMatchObject({ worker: { name: "Rafa", uuid: worker.uuid } });
    expect(taskEvents.every((e) => !("previous_status" in e))).toBe(true);

    farm.clearEvents();
    await update(worker, task, { steps_completed: 3 });
    expect(farm.events).toEqual([]);
  });

  test("the worker's log text goes in verbatim, with a tasklog event per append", async () => {
    const { worker, job, task } = await running();
    farm.clearEvents();
    await update(worker, task, { log: "line one\nline two\n" });
    expect((await farm.logLines(job, task)).slice(-2)).toEqual(["line one", "line two"]);
    expect(farm.eventsOf("/tasklog")).toEqual([{ task_id: task.uuid, log: "line one\nline two\n" }]);
  });
});

describe("who may update", () => {
  beforeEach(() => {
    farm = createFarm();
  });

  test("409 for a task of another worker, or of no worker; 404 for an unknown task", async () => {
    const { task } = await running();
    const intruder = farm.addWorker({ name: "intruder" });
    const unassigned = farm.addTask(farm.addJob({ status: "active" }), { status: "active" });
    expect(await refusal(() => update(intruder, task, { taskStatus: "completed" }))).toBe(409);
    expect(await refusal(() => update(intruder, unassigned, { activity: "x" }))).toBe(409);
    expect(await refusal(() => farm.taskUpdates.updateTask(intruder, crypto.randomUUID(), {}))).toBe(404);
    expect(farm.task(task.id).status).toBe("active");
  });

  test("soft-failed may not be sent by a worker (400)", async () => {
    const { worker, task } = await running();
    expect(await refusal(() => update(worker, task, { taskStatus: "soft-failed" }))).toBe(400);
  });

  test("a task that is no longer active (requeued, cancelled) answers 409 to its last worker", async () => {
    const { worker, task } = await running();
    farm.db.orm.run(sql`UPDATE tasks SET status = 'canceled' WHERE id = ${task.id}`);
    expect(await refusal(() => update(worker, task, { taskStatus: "completed" }))).toBe(409);
    expect(farm.task(task.id).status).toBe("canceled");
  });

  test("a resent final report already applied (its answer was lost): 204, nothing changed or logged again", async () => {
    const { worker, job, task } = await running();
    const done: TaskUpdateBody = { activity: "Completed", log: "frame 1 done", taskStatus: "completed" };
    await update(worker, task, done);
    const saved = farm.task(task.id);
    const log = await farm.logLines(job, task);
    expect(log.filter((line) => line === "frame 1 done")).toHaveLength(1);
    farm.clock.advance(60_000);
    farm.clearEvents();

    await update(worker, task, done);
    expect(farm.task(task.id)).toEqual(saved);
    expect(await farm.logLines(job, task)).toEqual(log);
    expect(farm.events).toEqual([]);
    // Not the same report: another status, or another worker.
    expect(await refusal(() => update(worker, task, { log: "x", taskStatus: "failed" }))).toBe(409);
    expect(await refusal(() => update(worker, task, { log: "x" }))).toBe(409);
    const intruder = farm.addWorker({ name: "intruder" });
    expect(await refusal(() => update(intruder, task, done))).toBe(409);
    expect(await farm.logLines(job, task)).toEqual(log);
  });

  test("a resent failure that the Manager turned into a soft failure still answers 409", async () => {
    const { worker, task } = await running();
    farm.addWorker({ name: "other" });
    await update(worker, task, { taskStatus: "failed", log: "Failed: boom" });
    expect(farm.task(task.id).status).toBe("soft-failed");
    expect(await refusal(() => update(worker, task, { taskStatus: "failed", log: "Failed: boom" }))).toBe(
      409,
    );
  });
});

describe("failures", () => {
  /** Hands the task to the worker (as the scheduler would) and lets it report a failure. */
  async function failOn(worker: WorkerRow, task: TaskRow) {
    farm.db.orm.run(sql`UPDATE tasks SET status = 'active', worker_id = ${worker.id} WHERE id = ${task.id}`);
    await update(worker, task, {
      taskStatus: "failed",
      activity: "Failed: exit status 1",
      log: "Failed: exit status 1",
    });
    return farm.task(task.id);
  }

  test("first failure with untried workers left: soft-failed, with the count in the log", async () => {
    farm = createFarm();
    const { worker, job, task } = await running();
    farm.addWorker({ name: "other 1" });
    farm.addWorker({ name: "other 2" });
    await update(worker, task, { taskStatus: "failed", log: "Failed: boom" });
    expect(farm.task(task.id).status).toBe("soft-failed");
    expect((await farm.logLines(job, task)).slice(-3)).toEqual([
      "Failed: boom",
      "Task failed by 1 worker, Manager will mark it as soft failure. 2 more failures will cause hard failure.",
      "task changed status active -> soft-failed",
    ]);
    expect(await next(worker)).toBeNull();
  });

  test("failed by as many workers as the threshold: hard failure", async () => {
    farm = createFarm({ thresholds: { blocklistThreshold: 10, taskFailAfterSoftfailCount: 2 } });
    const job = farm.addJob({ status: "active" });
    const task = farm.addTask(job);
    const [a, b] = [farm.addWorker({ name: "a" }), farm.addWorker({ name: "b" })];
    farm.addWorker({ name: "c" });
    expect((await failOn(a, task)).status).toBe("soft-failed");
    expect((await failOn(b, task)).status).toBe("failed");
    expect(await farm.logLines(job, task)).toContain(
      `task "${task.name}" failed on 2 workers, last on b: Failed: exit status 1`,
    );
  });

  test("blocklist threshold reached: the worker is blocked from the type and its failed tasks go back", async () => {
    farm = createFarm({ thresholds: { blocklistThreshold: 2, taskFailAfterSoftfailCount: 1 } });
    const job = farm.addJob({ status: "active" });
    // Enough tasks (30) that two hard failures stay under the 10 % that fail the job. The ones
    // Lola never failed are off limits to her too once she is blocked.
    const t1 = farm.addTask(job);
    const t2 = farm.addTask(job);
    farm.addTasks(job, 28);
    const w = farm.addWorker({ name: "Lola" });
    farm.addWorker({ name: "spare 1" });
    farm.addWorker({ name: "spare 2" });

    expect((await failOn(w, t1)).status).toBe("failed");
    expect(farm.task(t2.id).status).toBe("queued");
    await failOn(w, t2);
    expect(farm.task(t1.id).status).toBe("queued");
    expect(farm.task(t1.id).activity).toBe(
      'Task was queued by Manager because worker Lola was blocked from tasks of type "blender"',
    );
    expect(await next(w)).toBeNull();
    expect(await next(farm.addWorker({ name: "fresh" }))).toBe(t1.uuid);
  });

  test("no untried worker left: the task fails and takes the job with it", async () => {
    farm = createFarm();
    const { worker, job, task } = await running();
    await update(worker, task, { taskStatus: "failed", activity: "Failed: exit status 1" });
    // One reason, in the task's activity and log and in the job's activity.
    const reason =
      'no workers left that may run "blender" tasks of this job (the others are blocklisted or failed this task); ' +
      `task "${task.name}" last failed on Rafa: Failed: exit status 1`;
    expect(farm.task(task.id)).toMatchObject({ status: "failed", activity: reason });
    expect(farm.job(job.id)).toMatchObject({
      status: "failed",
      activity: `Changed to status "failed": ${reason}`,
    });
    expect(await farm.logLines(job, task)).toContain(reason);
  });
});

async function next(worker: WorkerRow): Promise<string | null> {
  const r = await farm.scheduler.scheduleTask(worker);
  return r.kind === "assigned" ? r.task.uuid : null;
}

describe("log text", () => {
  beforeEach(() => {
    farm = createFarm();
  });

  test("the answer waits until the worker's text is in the log file", async () => {
    const { worker, job, task } = await running();
    await update(worker, task, { log: "acknowledged" });
    // Read straight from the file, without waiting for the store.
    const log = readFileSync(farm.layout.taskLogPath(job.uuid, task.uuid), "utf8");
    expect(log.endsWith("acknowledged\n")).toBe(true);
  });

  test(`over ${TASK_UPDATE_LOG_MAX_BYTES} bytes of log text (UTF-8): 413 naming the limit, nothing written or saved`, async () => {
    const { worker, job, task } = await running();
    const path = farm.layout.taskLogPath(job.uuid, task.uuid);
    const before = (await farm.logLines(job, task)).join("\n");
    farm.clock.advance(60_000);
    // Fewer characters than the limit, more bytes.
    const text = "é".repeat(TASK_UPDATE_LOG_MAX_BYTES / 2 + 1);
    const refused = await rejectedBy(ApiError, () =>
      update(worker, task, { log: text, activity: "too chatty", taskStatus: "completed" }),
    );
    expect(refused.status).toBe(413);
    expect(refused.message).toBe(
      `log text of ${TASK_UPDATE_LOG_MAX_BYTES + 2} bytes is over the limit of ${TASK_UPDATE_LOG_MAX_BYTES} bytes per task update; send it in smaller parts`,
    );
    expect((await farm.logLines(job, task)).join("\n")).toBe(before);
    expect(farm.task(task.id)).toMatchObject({ status: "active", activity: task.activity });
    expect(farm.task(task.id).lastTouchedAt).not.toEqual(farm.clock.now());

    await update(worker, task, { log: "a".repeat(TASK_UPDATE_LOG_MAX_BYTES - 1) });
    expect(readFileSync(path, "utf8").endsWith(`${"a".repeat(1000)}\n`)).toBe(true);
  });

  test("text that cannot be written: 503 naming the file and the error, nothing saved; the retry applies", async () => {
    const { worker, job, task } = await running();
    const path = farm.layout.taskLogPath(job.uuid, task.uuid);
    await farm.logLines(job, task);
    // A folder where the log file should be: every append to it fails.
    rmSync(path);
    mkdirSync(path);
    farm.clock.advance(60_000);
    farm.clearEvents();
    const body: TaskUpdateBody = { log: "frame 1 done", activity: "Done", taskStatus: "completed" };
    const refused = await rejectedBy(ApiError, () => update(worker, task, body));
    expect(refused.status).toBe(503);
    expect(refused.message).toStartWith(`cannot write task log ${path}: EISDIR`);
    expect(farm.task(task.id)).toMatchObject({ status: "active", activity: task.activity });
    expect(farm.task(task.id).lastTouchedAt).not.toEqual(farm.clock.now());
    expect(farm.events).toEqual([]);
    expect(farm.warnings.some((w) => w.includes(path) && w.includes("refused (503)"))).toBe(true);

    rmdirSync(path);
    await update(worker, task, body);
    expect(farm.task(task.id)).toMatchObject({ status: "completed", activity: "Done" });
    expect(await farm.logLines(job, task)).toEqual([
      "frame 1 done",
      "task changed status active -> completed",
    ]);
  });

  test("text dropped because the job's logs are being deleted: 409, nothing saved", async () => {
    const { worker, task } = await running();
    const updates = createTaskUpdates({
      db: farm.db,
      broker: farm.broker,
      clock: farm.clock,
      stateMachine: farm.stateMachine,
      taskLogs: {
        appendAndWait: () => Promise.reject(new TaskLogDiscardedError("task log x was discarded")),
      },
    });
    const refused = await rejectedBy(ApiError, () =>
      updates.updateTask(worker, task.uuid, { log: "late", taskStatus: "completed" }),
    );
    expect(refused.status).toBe(409);
    expect(farm.task(task.id).status).toBe("active");
  });

  test("no log text is written for an update that is refused (404, 409, 400)", async () => {
    const { worker, job, task } = await running();
    const intruder = farm.addWorker({ name: "intruder" });
    const before = await farm.logLines(job, task);
    expect(await refusal(() => update(intruder, task, { log: "not yours" }))).toBe(409);
    expect(await refusal(() => update(worker, task, { log: "soft", taskStatus: "soft-failed" }))).toBe(400);
    expect(await refusal(() => farm.taskUpdates.updateTask(worker, crypto.randomUUID(), { log: "?" }))).toBe(
      404,
    );
    expect(await farm.logLines(job, task)).toEqual(before);
  });
});
