// The task status change (TSC): save a task's new status with its step consequences, announce
// it, and let the task's job react to it (state-machines.md §3).
import { eq, sql } from "drizzle-orm";
import { requireJob, workerById } from "../db/rows";
import { tasks, type JobRow, type TaskRow } from "../db/schema";
import { perConnection } from "../db/prepared";
import type { Emit } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import { taskUpdate } from "../events/payloads";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import { countTasksOfJob, touchJob } from "./job-tasks";
import { jobReasons, taskChangedStatusLine } from "./messages";
import { POTENTIALLY_RUNNABLE } from "./statuses";

/** Share of a job's tasks (in %) that must hard-fail to fail the job; not configurable. */
export const TASK_FAIL_JOB_PERCENTAGE = 10;

/** The worker fields a task event names. */
export interface TaskWorker {
  id: number;
  name: string;
  uuid: string;
}

/**
 * The task fields a status change starts from: hot callers pass what they already read instead
 * of the whole row (the change reads the saved row back anyway).
 */
export type TaskRef = Pick<TaskRow, "id" | "uuid" | "jobId" | "status" | "type">;

/** Rows the caller read in the same transaction, so the change need not read them again. */
export interface KnownRows {
  /** The task's job, as it is now. */
  job?: JobRow;
  /** The task's worker (after the change). */
  worker?: TaskWorker;
}

export interface TaskStateMachine {
  /**
   * Gives `task` (as loaded: its status is the old one) the new status and runs the job's
   * reaction. Only status (and steps) are written; save activity before calling. Returns the
   * saved task.
   */
  taskStatusChange(tx: DbOrTx, emit: Emit, task: TaskRef, newStatus: string, known?: KnownRows): TaskRow;
}

// Prepared once: a status change runs on every task assignment and completion. Timestamps bind
// as stored, epoch ms (a prepared update must set updated_at itself: Drizzle's automatic value
// would be frozen at build time).
const statements = perConnection((db) => {
  const saveStatus = (steps: "keep" | "all" | "none") =>
    db
      .update(tasks)
      .set({
        status: sql`${sql.placeholder("status")}`,
        updatedAt: sql`${sql.placeholder("nowMs")}`,
        ...(steps === "all"
          ? { stepsCompleted: sql`${tasks.stepsTotal}` }
          : steps === "none"
            ? { stepsCompleted: 0 }
            : {}),
      })
      .where(eq(tasks.id, sql.placeholder("id")))
      .returning()
      .prepare();
  return {
    saveStatus: saveStatus("keep"),
    // Completing means all steps are done; queueing means starting over.
    saveCompleted: saveStatus("all"),
    saveQueued: saveStatus("none"),
  };
});

export function createTaskStateMachine(
  deps: Pick<StateMachineDeps, "clock" | "log" | "taskLogs">,
  jobMachine: JobStateMachine,
): TaskStateMachine {
  const { clock, log, taskLogs } = deps;

  /** Table 3.1, first matching row wins. */
  function reactJob(tx: DbOrTx, emit: Emit, job: JobRow, task: TaskRow): void {
    const change = (target: string, reason: string) =>
      void jobMachine.jobStatusChange(tx, emit, job, target, reason);
    const counts = () => countTasksOfJob(tx, job.id);
    const pauseDone = (c: ReturnType<typeof counts>) =>
      job.status === "pause-requested" && c.of("active") === 0;

    switch (task.status) {
      case "queued":
        // Requeueing one task of a finished job requeues the whole job (Flamenco's rule).
        if (job.status === "completed") change("requeueing", jobReasons.taskQueued);
        return;
      case "paused":
        if (pauseDone(counts())) change("paused", jobReasons.lastTaskPaused);
        return;
      case "canceled": {
        const c = counts();
        if (c.of(...POTENTIALLY_RUNNABLE) === 0) change("canceled", jobReasons.lastRunnableCanceled);
        else if (pauseDone(c)) change("paused", jobReasons.pausedAfterCancel);
        return;
      }
      case "failed": {
        const c = counts();
        if (c.total === 0) {
          log(`task ${task.uuid} failed, but its job ${job.uuid} counts no tasks`);
          return;
        }
        // Integer form of trunc(failed / total * 100) >= 10.
        if (c.of("failed") * 100 >= c.total * TASK_FAIL_JOB_PERCENTAGE)
          change("failed", jobReasons.tooManyFailed);
        else if (pauseDone(c)) change("paused", jobReasons.pausedAfterFailure);
        else if (job.status === "queued") change("active", jobReasons.failedNotEnough);
        return;
      }
      case "active":
      case "soft-failed":
        if (job.status !== "active" && job.status !== "cancel-requested") {
          change("active", jobReasons.taskBecame(task.status));
        }
        return;
      case "completed": {
        const c = counts();
        if (c.of("completed") === c.total) change("completed", jobReasons.allCompleted);
        else if (pauseDone(c)) change("paused", jobReasons.pausedAfterCompletion);
        else if (job.status === "queued") change("active", jobReasons.moreToDo);
        return;
      }
      default:
        log(
          `task ${task.uuid} got status "${task.status}", which Flamenco does not know; job ${job.uuid} unchanged`,
        );
    }
  }

  function workerOf(tx: DbOrTx, task: TaskRow, known: TaskWorker | undefined): TaskWorker | null {
    if (task.workerId == null) return null;
    if (known?.id === task.workerId) return known;
    return workerById(tx, task.workerId) ?? null;
  }

  return {
    taskStatusChange(tx, emit, task, newStatus, known = {}) {
      const prepared = statements(tx);
      let job = known.job?.id === task.jobId ? known.job : requireJob(tx, task.jobId);
      const oldStatus = task.status;
      const changed = oldStatus !== newStatus;
      const save =
        changed && newStatus === "completed"
          ? prepared.saveCompleted
          : changed && newStatus === "queued"
            ? prepared.saveQueued
            : prepared.saveStatus;
      const saved = save.get({ status: newStatus, nowMs: clock.now().getTime(), id: task.id }) as
        TaskRow | undefined;
      if (!saved) throw new Error(`task ${task.uuid} does not exist`);
      if (changed) {
        taskLogs.appendManagerLine(job.uuid, saved.uuid, taskChangedStatusLine(oldStatus, newStatus));
        if (save !== prepared.saveStatus) job = touchJob(tx, job.id, clock.now());
      }
      emit(taskUpdate(saved, job.uuid, workerOf(tx, saved, known.worker), oldStatus));
      try {
        reactJob(tx, emit, job, saved);
      } catch (err) {
        throw new Error(`updating job after task status change: ${(err as Error).message}`, { cause: err });
      }
      return saved;
    },
  };
}
