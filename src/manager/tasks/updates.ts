// Task updates from workers: activity, log text, step progress and status, applied in one
// change in Flamenco's order (docs/worker-protocol.md); failures go through the state machine's
// failure handling.
import type { Clock } from "../../shared/clock";
import type { TaskStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { touchJob } from "../db/queries/job-tasks";
import { saveTaskProgress, taskWithJobByUUID } from "../db/queries/tasks";
import type { JobRow, WorkerRow } from "../db/schema";
import { inSharedTransaction } from "../db/transaction";
import { badRequest, conflict, notFound } from "../errors";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { jobUpdate, taskUpdate } from "../events/payloads";
import { markSeen } from "../farm/seen";
import type { FailureHandling } from "../state-machine/failures";
import type { TaskStateMachine } from "../state-machine/task-state";
import type { TaskLogStore } from "../storage/task-logs";

/** The TaskUpdate body; absent fields leave the task unchanged. */
export interface TaskUpdateBody {
  taskStatus?: TaskStatus;
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

  /**
   * Applies `update` from `worker` to the task. Only the task's assigned worker may update it,
   * and only while the task is active: a late report from a worker whose task was meanwhile
   * requeued, cancelled or timed out gets 409 (which the Worker reads as "task reassigned")
   * instead of silently completing or failing a task that someone else may now run.
   * Resolves once the change is committed: only then may the worker hear that it was taken.
   */
  function updateTask(worker: WorkerRow, taskUUID: string, update: TaskUpdateBody): Promise<void> {
    return inSharedTransaction(db, (tx) => {
      const emit = emitAfterCommit(broker, tx);
      const now = clock.now();
      const found = taskWithJobByUUID(tx, taskUUID);
      if (!found) throw notFound(`task ${taskUUID} not found`);
      if (found.workerId === null)
        throw conflict(`task ${taskUUID} is not assigned to any worker, so also not to you`);
      if (found.workerId !== worker.id) throw conflict(`task ${taskUUID} is not assigned to you`);
      // Soft or hard failure is the Manager's call; workers report `failed`.
      if (update.taskStatus === "soft-failed") {
        throw badRequest(`task status ${update.taskStatus} not allowed to be sent by Worker`);
      }
      if (found.status !== "active") {
        throw conflict(`task ${taskUUID} is no longer active (its status is "${found.status}")`);
      }

      const steps =
        update.steps_completed === undefined
          ? found.stepsCompleted
          : Math.min(update.steps_completed, found.stepsTotal);
      const stepsChanged = steps !== found.stepsCompleted;
      // Activity, steps and the touch (which restarts the task timeout) in one write; the
      // status change below writes the status after them, as Flamenco orders them.
      const newStatus = update.taskStatus !== found.status ? update.taskStatus : undefined;
      // Only a step change announces the task here, so only it reads the saved row back; a
      // status change announces the row its own write returns.
      const stepped = saveTaskProgress(
        tx,
        found.id,
        { activity: update.activity ?? null, steps: stepsChanged ? steps : undefined },
        now,
      );
      // Before any status change: the worker's log usually explains it, and the Manager's own
      // lines about the change belong after it.
      if (update.log !== undefined) deps.taskLogs.append(found.jobUUID, taskUUID, update.log);

      // The touched job also serves a status change below, which need not read it again.
      let job: JobRow | undefined;
      if (stepped) {
        job = touchJob(tx, found.jobId, now);
        emit(jobUpdate(job));
        if (!newStatus) emit(taskUpdate(stepped, found.jobUUID, worker));
      }
      if (newStatus === "failed") stateMachine.onTaskFailed(tx, emit, found, worker);
      else if (newStatus) stateMachine.taskStatusChange(tx, emit, found, newStatus, { worker, job });

      markSeen(tx, worker, now);
    });
  }

  return { updateTask };
}

export type TaskUpdates = ReturnType<typeof createTaskUpdates>;
