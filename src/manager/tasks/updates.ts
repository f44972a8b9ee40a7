// Task updates from workers: activity, log text, step progress and status, applied in
// Flamenco's order (docs/worker-protocol.md); failures go through the state machine's failure
// handling. The log text is written to the task's log before the database change is made, so an
// acknowledged update's text survives a killed Manager, and an update whose text could not be
// written changes nothing: the worker's retry is the same request again.
import type { Clock } from "../../shared/clock";
import type { TaskStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { touchJob } from "../db/queries/job-tasks";
import { saveTaskProgress, taskWithJobByUUID } from "../db/queries/tasks";
import type { JobRow, WorkerRow } from "../db/schema";
import { inSharedTransaction } from "../db/transaction";
import { ApiError, badRequest, conflict, notFound } from "../errors";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { jobUpdate, taskUpdate } from "../events/payloads";
import { markSeen } from "../farm/seen";
import type { FailureHandling } from "../state-machine/failures";
import type { TaskStateMachine } from "../state-machine/task-state";
import {
  TASK_LOG_MAX_BYTES,
  TaskLogDiscardedError,
  TaskLogWriteError,
  type TaskLogStore,
} from "../storage/task-logs";

/**
 * Log text one task update may carry (UTF-8 bytes); a larger one is refused with 413 before
 * anything is written. Workers send ~10 KiB at a time; this leaves room for a whole crash dump,
 * and is half a task log's rotation size, so one update's text never passes it.
 */
export const TASK_UPDATE_LOG_MAX_BYTES = 4 * 1024 * 1024;
if (TASK_UPDATE_LOG_MAX_BYTES + 1 > TASK_LOG_MAX_BYTES) {
  throw new Error("a task update's log text must fit in a task log file (with its newline)");
}

/** Final statuses a worker reports itself; a resend of one that was already applied is a no-op. */
const WORKER_FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(["completed", "failed"]);

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
  taskLogs: Pick<TaskLogStore, "appendAndWait">;
}

export function createTaskUpdates(deps: TaskUpdateDeps) {
  const { db, broker, clock, stateMachine } = deps;

  /**
   * The task, if `worker` may update it as asked; null when the update was already applied (a
   * resend after a lost answer); else the 404, 409 or 400 to answer.
   */
  function updatableTask(tx: Db, worker: WorkerRow, taskUUID: string, update: TaskUpdateBody) {
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
      // The worker's own final report, committed before its answer was lost (a killed Manager):
      // still its task, with the very status it sends. A `failed` that became soft-failed or
      // requeued, or a task given to another worker, does not match and still gets 409.
      if (update.taskStatus === found.status && WORKER_FINAL_STATUSES.has(found.status)) return null;
      throw conflict(`task ${taskUUID} is no longer active (its status is "${found.status}")`);
    }
    return found;
  }

  /** Writes the worker's text to the task log, mapping the store's failures to answers. */
  async function writeLog(jobUUID: string, taskUUID: string, text: string): Promise<void> {
    try {
      await deps.taskLogs.appendAndWait(jobUUID, taskUUID, text);
    } catch (err) {
      // Not written, and nothing else of the update saved: the worker may send it again as it is.
      if (err instanceof TaskLogWriteError) throw new ApiError(503, err.message);
      if (err instanceof TaskLogDiscardedError) throw conflict(err.message);
      throw err;
    }
  }

  /**
   * Applies `update` from `worker` to the task. Only the task's assigned worker may update it,
   * and only while the task is active: a late report from a worker whose task was meanwhile
   * requeued, cancelled or timed out gets 409 (which the Worker reads as "task reassigned")
   * instead of silently completing or failing a task that someone else may now run.
   * Resolves once the log text is in the task's log and the change is committed: only then may
   * the worker hear that it was taken. The text goes first, before any line the Manager writes
   * about the status change (the worker's log usually explains it); should the commit fail
   * after it, the worker's retry writes that text a second time. A resend of a final status that
   * was committed already is answered as a success, changing nothing and writing no text again.
   */
  async function updateTask(worker: WorkerRow, taskUUID: string, update: TaskUpdateBody): Promise<void> {
    const log = update.log ?? "";
    const logBytes = Buffer.byteLength(log);
    if (logBytes > TASK_UPDATE_LOG_MAX_BYTES) {
      throw new ApiError(
        413,
        `log text of ${logBytes} bytes is over the limit of ${TASK_UPDATE_LOG_MAX_BYTES} bytes per task update; send it in smaller parts`,
      );
    }
    if (log !== "") {
      const found = updatableTask(db, worker, taskUUID, update);
      if (!found) return;
      await writeLog(found.jobUUID, taskUUID, log);
    }
    return inSharedTransaction(db, (tx) => {
      const emit = emitAfterCommit(broker, tx);
      const now = clock.now();
      // Again: the task may have changed while its text was being written.
      const found = updatableTask(tx, worker, taskUUID, update);
      if (!found) return;

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
