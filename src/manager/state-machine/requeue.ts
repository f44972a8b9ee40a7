// Returning a worker's tasks to the pool: on sign-off, a change to a
// non-awake status, worker timeout or deletion (its active tasks), and on blocklisting (the
// tasks of one job it hard-failed). Each task goes through the task state machine.
import type { TaskStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { requireJob } from "../db/queries/jobs";
import { setTaskActivity, taskById, tasksOfWorker } from "../db/queries/tasks";
import type { TaskRow, WorkerRow } from "../db/schema";
import type { Emit } from "../events/broker";
import type { StateMachineDeps } from "./deps";
import { returnedToPoolActivity } from "./messages";
import { PAUSING_JOB } from "./statuses";
import type { TaskStateMachine } from "./task-state";

export interface WorkerRequeue {
  /** Returns every active task of the worker (any job) to the pool; returns how many. */
  requeueWorkerTasks(tx: Db, emit: Emit, worker: Pick<WorkerRow, "id">, reason: string): number;
  /** Returns the tasks of one job that the worker hard-failed; returns how many. */
  requeueFailedTasksOfWorkerOfJob(
    tx: Db,
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
  function returnToPool(tx: Db, emit: Emit, task: TaskRow, reason: string): void {
    const job = requireJob(tx, task.jobId);
    const target: TaskStatus = PAUSING_JOB.includes(job.status) ? "paused" : "queued";
    const activity = returnedToPoolActivity(target, reason);
    const withActivity = setTaskActivity(tx, task.id, activity, clock.now());
    if (!withActivity) throw new Error(`task ${task.uuid} does not exist`);
    taskMachine.taskStatusChange(tx, emit, withActivity, target);
    taskLogs.appendManagerLine(job.uuid, task.uuid, activity);
  }

  function returnAll(tx: Db, emit: Emit, found: TaskRow[], reason: string): number {
    let returned = 0;
    for (const { id, status } of found) {
      // An earlier task's cascade (e.g. a whole-job requeue) may already have moved this one.
      const task = taskById(tx, id);
      if (task?.status !== status) continue;
      returnToPool(tx, emit, task, reason);
      returned++;
    }
    return returned;
  }

  return {
    requeueWorkerTasks(tx, emit, worker, reason) {
      return returnAll(tx, emit, tasksOfWorker(tx, worker.id, "active"), reason);
    },

    requeueFailedTasksOfWorkerOfJob(tx, emit, worker, jobId, reason) {
      return returnAll(tx, emit, tasksOfWorker(tx, worker.id, "failed", jobId), reason);
    },
  };
}
