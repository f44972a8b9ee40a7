import { afterEach, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createFarm, type Farm } from "../../support/task-farm";

let farm: Farm;
beforeEach(() => {
  farm = createFarm();
});
afterEach(() => farm.close());

function runningTask() {
  const worker = farm.addWorker({ name: "w" });
  const task = farm.addTask(farm.addJob({ status: "active" }), { status: "active", worker });
  farm.clock.advance(30_000);
  return { worker, task };
}

test("its own active task: may keep running; the task is touched and the worker seen", async () => {
  const { worker, task } = runningTask();
  expect(await farm.mayIRun(worker, task.uuid)).toEqual({
    mayKeepRunning: true,
    reason: "",
    statusChangeRequested: false,
  });
  expect(farm.task(task.id).lastTouchedAt).toEqual(farm.clock.now());
  expect(farm.worker(worker.id).lastSeenAt).toEqual(farm.clock.now());
});

test("a cancelled task must stop, and is not touched", async () => {
  const { worker, task } = runningTask();
  farm.db.orm.run(sql`UPDATE tasks SET status = 'canceled' WHERE id = ${task.id}`);
  expect(await farm.mayIRun(worker, task.uuid)).toEqual({
    mayKeepRunning: false,
    reason: 'task is in non-runnable status "canceled"',
    statusChangeRequested: false,
  });
  expect(farm.task(task.id).lastTouchedAt).toBeNull();
  expect(farm.worker(worker.id).lastSeenAt).toEqual(farm.clock.now());
});

test("a task of another worker must stop", async () => {
  const { task } = runningTask();
  const other = farm.addWorker({ name: "other" });
  expect(await farm.mayIRun(other, task.uuid)).toMatchObject({
    mayKeepRunning: false,
    reason: "task not assigned to this worker",
  });
});

test("a non-lazy status request stops the task; a lazy one lets it finish", async () => {
  const { worker, task } = runningTask();
  farm.db.orm.run(
    sql`UPDATE workers SET status_requested = 'asleep', lazy_status_request = 1 WHERE id = ${worker.id}`,
  );
  expect((await farm.mayIRun(worker, task.uuid)).mayKeepRunning).toBe(true);
  farm.db.orm.run(sql`UPDATE workers SET lazy_status_request = 0 WHERE id = ${worker.id}`);
  expect(await farm.mayIRun(worker, task.uuid)).toEqual({
    mayKeepRunning: false,
    reason: "worker status change requested",
    statusChangeRequested: true,
  });
});

test("an unknown task: must stop, and the worker is not marked seen", async () => {
  const worker = farm.addWorker({ name: "w" });
  expect(await farm.mayIRun(worker, crypto.randomUUID())).toEqual({
    mayKeepRunning: false,
    reason: "Task not found",
    statusChangeRequested: false,
  });
  expect(farm.worker(worker.id).lastSeenAt).toBeNull();
});
