// The selection query and the blocked case: tasks waiting for a dependency are not in the
// scheduler's partial index, so however many there are, a poll never walks them.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { inTransaction } from "../../../src/manager/db/transaction";
import {
  ACTIVE_TASK_SQL,
  findSchedulableTask,
  SCHEDULABLE_TASK_SQL,
  type SchedulingWorker,
} from "../../../src/manager/db/queries/scheduler";
import type { WorkerRow } from "../../../src/manager/db/schema";
import { emitAfterCommit } from "../../../src/manager/events/broker";
import { splitTaskTypes } from "../../../src/manager/farm/registration";
import { createFarm, type Farm } from "../../support/task-farm";

let farm: Farm;
beforeEach(() => {
  farm = createFarm();
});
afterEach(() => farm.close());

/** The worker as the selection sees it (as the scheduler passes it). */
const scheduling = (w: WorkerRow): SchedulingWorker => ({
  id: w.id,
  taskTypes: splitTaskTypes(w.supportedTaskTypes),
});

/** The task ids the poll's index walk can see, in its order. */
function indexEntries(jobId: number, type: string): number[] {
  return farm.db.orm
    .all<{ id: number }>(
      sql`
      SELECT id FROM tasks INDEXED BY tasks_schedulable_idx
      WHERE job_id = ${jobId} AND type = ${type}
        AND status IN ('queued', 'soft-failed') AND unmet_dependencies = 0
      ORDER BY priority DESC, id`,
    )
    .map((r) => r.id);
}

test("a worker's active task is found among the active tasks alone, not among all it ever ran", async () => {
  const w = farm.addWorker({ name: "w" });
  const plan = farm.db
    .prepare<{ detail: string }>(`EXPLAIN QUERY PLAN ${ACTIVE_TASK_SQL}`)
    .all({ workerId: w.id })
    .map((r) => r.detail);
  expect(plan.some((d) => d.includes("USING INDEX tasks_active_worker_idx"))).toBe(true);
  expect(plan.filter((d) => /^SCAN (t|tasks)\b/.test(d))).toEqual([]);
});

describe("blocked tasks", () => {
  test("the query checks dependencies through the index alone: no lookup of dependencies per task", async () => {
    const w = farm.addWorker({ name: "w" });
    const plan = farm.db
      .prepare<{ detail: string }>(`EXPLAIN QUERY PLAN ${SCHEDULABLE_TASK_SQL}`)
      .all({ workerId: w.id, types: JSON.stringify(["blender"]) })
      .map((r) => r.detail);
    expect(plan.some((d) => d.includes("USING INDEX tasks_schedulable_idx"))).toBe(true);
    expect(plan.filter((d) => /task_dependencies|\bdep\b|^SCAN (t|j|tasks|jobs)\b/.test(d))).toEqual([]);
  });

  test("thousands of tasks waiting on a running one are left out of the walk, and come back when it completes", async () => {
    const BLOCKED = 1_000;
    const runner = farm.addWorker({ name: "runner" });
    const job = farm.addJob({ priority: 90 });
    const echo = farm.addTask(job, { status: "active", worker: runner, type: "misc" });
    farm.addTasks(job, BLOCKED, { priority: 99, dependsOn: [echo] });
    const free = farm.addTask(job, { priority: 1 });

    expect(indexEntries(job.id, "blender")).toEqual([free.id]);
    const w = farm.addWorker({ name: "w", taskTypes: ["blender"] });
    expect(findSchedulableTask(farm.db, scheduling(w))?.id).toBe(free.id);

    await farm.taskUpdates.updateTask(runner, echo.uuid, { taskStatus: "completed" });
    expect(indexEntries(job.id, "blender")).toHaveLength(BLOCKED + 1);
    expect(findSchedulableTask(farm.db, scheduling(w))?.id).toBe(echo.id + 1);
  });

  test("a requeued dependency blocks its dependents again", async () => {
    const job = farm.addJob();
    const first = farm.addTask(job, { status: "completed" });
    const second = farm.addTask(job, { dependsOn: [first] });
    const w = farm.addWorker({ name: "w" });
    expect(findSchedulableTask(farm.db, scheduling(w))?.id).toBe(second.id);

    inTransaction(farm.db, (tx) =>
      farm.stateMachine.taskStatusChange(tx, emitAfterCommit(farm.broker, tx), farm.task(first.id), "queued"),
    );
    expect(farm.task(second.id).unmetDependencies).toBe(1);
    expect(findSchedulableTask(farm.db, scheduling(w))?.id).toBe(first.id);
  });
});
