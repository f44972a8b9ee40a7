// Returning a worker's tasks to the pool (state-machines.md §5.5): on sign-off, a change to a
// non-awake status, worker timeout or deletion (its active tasks), and on blocklisting (the
// tasks of one job it hard-failed). Each task goes through the task state machine.
import { and, asc, eq } from "drizzle-orm";
import { tasks, type TaskRow, type WorkerRow } from "../db/schema";
import { requireJob } from "../db/rows";
import type { Emit } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import type { StateMachineDeps } from "./deps";
import { returnedToPoolActivity } from "./messages";
import { PAUSING_JOB } from "./statuses";
import type { TaskStateMachine } from "./task-state";

export interface WorkerRequeue {
  /** Returns every active task of the worker (any job) to the pool; returns how many. */
  requeueWorkerTasks(tx: DbOrTx, emit: Emit, worker: Pick<WorkerRow, "id">, reason: string): number;
  /** Returns the tasks of one job that the worker hard-failed; returns how many. */
  requeueFailedTasksOfWorkerOfJob(
    tx: DbOrTx,
    emit: Emit,
    worker: Pick<WorkerRow, "id">,
    jobId: number,
    reason: string,
  ): number;
}

export function createWorkerRequeue(
  deps: Pick<StateMachineDeps, "clock" | "taskLogs">,
  taskMachine: TaskStateMachine,
): WorkerRequeue {
  const { clock, taskLogs } = deps;

  // worker_id stays set: it records the last worker, it does not claim the task.
  function returnToPool(tx: DbOrTx, emit: Emit, task: TaskRow, reason: string): void {
    const job = requireJob(tx, task.jobId);
    const target = (PAUSING_JOB as readonly string[]).includes(job.status) ? "paused" : "queued";
    const activity = returnedToPoolActivity(target, reason);
    const withActivity = tx
      .update(tasks)
      .set({ activity, updatedAt: clock.now() })
      .where(eq(tasks.id, task.id))
      .returning()
      .get();
    if (!withActivity) throw new Error(`task ${task.uuid} does not exist`);
    taskMachine.taskStatusChange(tx, emit, withActivity, target);
    taskLogs.appendManagerLine(job.uuid, task.uuid, activity);
  }

  function returnAll(tx: DbOrTx, emit: Emit, found: TaskRow[], reason: string): number {
    let returned = 0;
    for (const { id, status } of found) {
      // An earlier task's cascade (e.g. a whole-job requeue) may already have moved this one.
      const task = tx.select().from(tasks).where(eq(tasks.id, id)).get();
      if (task?.status !== status) continue;
      returnToPool(tx, emit, task, reason);
      returned++;
    }
    return returned;
  }

  return {
    requeueWorkerTasks(tx, emit, worker, reason) {
      const found = tx
        .select()
        .from(tasks)
        .where(and(eq(tasks.workerId, worker.id), eq(tasks.status, "active")))
        .orderBy(asc(tasks.id))
        .all();
      return returnAll(tx, emit, found, reason);
    },

    requeueFailedTasksOfWorkerOfJob(tx, emit, worker, jobId, reason) {
      const found = tx
        .select()
        .from(tasks)
        .where(and(eq(tasks.workerId, worker.id), eq(tasks.status, "failed"), eq(tasks.jobId, jobId)))
        .orderBy(asc(tasks.id))
        .all();
      return returnAll(tx, emit, found, reason);
    },
  };
}
