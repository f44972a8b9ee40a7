// The task status change (TSC): save a task's new status with its step consequences, announce
// it, and let the task's job react to it (see docs/state-machines.md).
import type { JobStatus, TaskStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { requireJob } from "../db/queries/jobs";
import { countTasksOfJob, touchJob } from "../db/queries/job-tasks";
import { saveTaskStatus, type TaskRef } from "../db/queries/tasks";
import { workerById } from "../db/queries/workers";
import type { JobRow, TaskRow } from "../db/schema";
import type { Emit } from "../events/broker";
import { taskUpdate } from "../events/payloads";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import { jobReasons, taskChangedStatusLine } from "./messages";
import { POTENTIALLY_RUNNABLE } from "./statuses";

export type { TaskRef };

/** Share of a job's tasks (in %) that must hard-fail to fail the job; not configurable. */
export const TASK_FAIL_JOB_PERCENTAGE = 10;

/** The worker fields a task event names. */
export interface TaskWorker {
  id: number;
  name: string;
  uuid: string;
}

/** Rows the caller read in the same transaction, so the change need not read them again. */
export interface KnownRows {
  /** The task's job, as it is now. */
  job?: JobRow;
  /** The task's worker (after the change). */
  worker?: TaskWorker;
  /** Why the task failed, for a change to `failed`: the job fails with the same reason. */
  failureReason?: string;
}

export interface TaskStateMachine {
  /**
   * Gives `task` (as loaded: its status is the old one) the new status and runs the job's
   * reaction. Only status (and steps) are written; save activity before calling. Returns the
   * saved task.
   */
  taskStatusChange(tx: Db, emit: Emit, task: TaskRef, newStatus: TaskStatus, known?: KnownRows): TaskRow;
}

export function createTaskStateMachine(
  deps: Pick<StateMachineDeps, "clock" | "log" | "taskLogs">,
  jobMachine: JobStateMachine,
): TaskStateMachine {
  const { clock, log, taskLogs } = deps;

  /** How the job reacts to its task's new status; the first matching rule wins (docs/state-machines.md). */
  function reactJob(tx: Db, emit: Emit, job: JobRow, task: TaskRow, failureReason?: string): void {
    const change = (target: JobStatus, reason: string) =>
      void jobMachine.jobStatusChange(tx, emit, job, target, reason);
    const counts = () => countTasksOfJob(tx, job.id);
    const pauseDone = (c: ReturnType<typeof counts>) =>
      job.status === "pause-requested" && c.of("active") === 0;

    // A job being cancelled in slices ends `canceled`, as an atomic cancel would, whatever its
    // not-yet-cancelled tasks report meanwhile (a worker completing the last one must not turn it
    // `completed`); only the cancelling of its last runnable task speaks for the job.
    if (job.status === "cancel-requested" && task.status !== "canceled") return;
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
          change("failed", failureReason ?? jobReasons.tooManyFailed);
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
        // Unreachable by type; a corrupt row or a newer Manager's database could still hold it.
        log(
          `task ${task.uuid} got status "${String(task.status)}", which Flamenco does not know; job ${job.uuid} unchanged`,
        );
    }
  }

  function workerOf(tx: Db, task: TaskRow, known: TaskWorker | undefined): TaskWorker | null {
    if (task.workerId == null) return null;
    if (known?.id === task.workerId) return known;
    return workerById(tx, task.workerId) ?? null;
  }

  return {
    taskStatusChange(tx, emit, task, newStatus, known = {}) {
      let job = known.job?.id === task.jobId ? known.job : requireJob(tx, task.jobId);
      const oldStatus = task.status;
      const changed = oldStatus !== newStatus;
      // Completing means all steps are done, queueing means starting over; both change the job's sums.
      const steps = !changed
        ? "keep"
        : newStatus === "completed"
          ? "all"
          : newStatus === "queued"
            ? "none"
            : "keep";
      const saved = saveTaskStatus(tx, task.id, newStatus, steps, clock.now());
      if (!saved) throw new Error(`task ${task.uuid} does not exist`);
      if (changed) {
        taskLogs.appendManagerLine(job.uuid, saved.uuid, taskChangedStatusLine(oldStatus, newStatus));
        if (steps !== "keep") job = touchJob(tx, job.id, clock.now());
      }
      emit(taskUpdate(saved, job.uuid, workerOf(tx, saved, known.worker), oldStatus));
      try {
        reactJob(tx, emit, job, saved, known.failureReason);
      } catch (err) {
        throw new Error(`updating job after task status change: ${(err as Error).message}`, { cause: err });
      }
      return saved;
    },
  };
}
