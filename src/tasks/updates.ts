// Task updates from workers (workers.md §8, state-machines.md §5.3): activity, log text, step
// progress and status, applied in one transaction in Flamenco's order; failures go through the
// state machine's failure handling.
import { eq } from "drizzle-orm";
import type { Clock } from "../clock";
import { jobs, tasks, type TaskRow, type WorkerRow } from "../db/schema";
import { inTransaction, type Emit, type Tx } from "../db/transaction";
import type { Db } from "../db/types";
import { badRequest, conflict, notFound } from "../errors";
import type { EventBroker } from "../events/broker";
import { jobUpdate, taskUpdate } from "../events/payloads";
import type { FailureHandling } from "../state/failures";
import { recomputeJobSteps } from "../state/job-tasks";
import type { TaskStateMachine } from "../state/task-state";
import { markSeen } from "../workers/seen";
import type { TaskLogStore } from "../storage/task-logs";

/** The TaskUpdate body; absent fields leave the task unchanged. */
export interface TaskUpdateBody {
  taskStatus?: string;
  activity?: string;
  log?: string;
  steps_completed?: number;
}

export interface TaskUpdateDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  stateMachine: Pick<TaskStateMachine, "taskStatusChange"> & FailureHandling;
  taskLogs: Pick<TaskLogStore, "append">;
}

export function createTaskUpdates(deps: TaskUpdateDeps) {
  const { db, broker, clock, stateMachine } = deps;

  /** The saved task when its step count changed (and the job's totals with it), else null. */
  function applySteps(tx: Tx, emit: Emit, task: TaskRow, requested: number, now: Date): TaskRow | null {
    const steps = Math.min(requested, task.stepsTotal);
    if (steps === task.stepsCompleted) return null;
    const saved = tx
      .update(tasks)
      .set({ stepsCompleted: steps, updatedAt: now })
      .where(eq(tasks.id, task.id))
      .returning()
      .get() as TaskRow;
    emit(jobUpdate(recomputeJobSteps(tx, task.jobId, now)));
    return saved;
  }

  /**
   * Applies `update` from `worker` to the task. Only the task's assigned worker may update it,
   * and only while the task is active: a late report from a worker whose task was meanwhile
   * requeued, cancelled or timed out gets 409 (which the Worker reads as "task reassigned")
   * instead of silently completing or failing a task that someone else may now run.
   */
  function updateTask(worker: WorkerRow, taskUUID: string, update: TaskUpdateBody): void {
    inTransaction(db, broker, (tx, emit) => {
      const now = clock.now();
      const found = tx
        .select({ task: tasks, jobUUID: jobs.uuid })
        .from(tasks)
        .innerJoin(jobs, eq(jobs.id, tasks.jobId))
        .where(eq(tasks.uuid, taskUUID))
        .get();
      if (!found) throw notFound(`task ${taskUUID} not found`);
      const { jobUUID } = found;
      let task = found.task;
      if (task.workerId === null) throw conflict(`task ${taskUUID} is not assigned to any worker, so also not to you`);
      if (task.workerId !== worker.id) throw conflict(`task ${taskUUID} is not assigned to you`);
      // Soft or hard failure is the Manager's call; workers report `failed`.
      if (update.taskStatus === "soft-failed") {
        throw badRequest(`task status ${update.taskStatus} not allowed to be sent by Worker`);
      }
      if (task.status !== "active") {
        throw conflict(`task ${taskUUID} is no longer active (its status is "${task.status}")`);
      }

      if (update.activity !== undefined) {
        task = tx
          .update(tasks)
          .set({ activity: update.activity, updatedAt: now })
          .where(eq(tasks.id, task.id))
          .returning()
          .get() as TaskRow;
      }
      // Before any status change: the worker's log usually explains it, and the Manager's own
      // lines about the change belong after it.
      if (update.log !== undefined) deps.taskLogs.append(jobUUID, task.uuid, update.log);

      const changeStatus = update.taskStatus !== undefined && update.taskStatus !== task.status;
      if (update.steps_completed !== undefined) {
        const stepped = applySteps(tx, emit, task, update.steps_completed, now);
        if (stepped) {
          task = stepped;
          if (!changeStatus) emit(taskUpdate(task, jobUUID, worker));
        }
      }

      if (changeStatus) {
        if (update.taskStatus === "failed") stateMachine.onTaskFailed(tx, emit, task, worker);
        else stateMachine.taskStatusChange(tx, emit, task, update.taskStatus!);
      }

      tx.update(tasks).set({ lastTouchedAt: now }).where(eq(tasks.id, task.id)).run();
      markSeen(tx, worker, now);
    });
  }

  return { updateTask };
}

export type TaskUpdates = ReturnType<typeof createTaskUpdates>;
