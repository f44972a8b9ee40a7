// The job status change (JSC) and its start-up "re-enforce" variant: save the job's new status,
// let its tasks react in bulk, announce it, and follow the chain of statuses that results
// (see docs/state-machines.md).
import type { JobStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { requireJob } from "../db/queries/jobs";
import {
  countTasksOfJob,
  recountTaskSteps,
  saveJobStatus,
  setStatusOfJobTasks,
} from "../db/queries/job-tasks";
import type { JobRow } from "../db/schema";
import type { Emit } from "../events/broker";
import { jobUpdate } from "../events/payloads";
import type { StateMachineDeps } from "./deps";
import {
  bulkCanceledActivity,
  bulkPausedActivity,
  bulkRequeuedActivity,
  jobChangedActivity,
  jobReenforcedActivity,
} from "./messages";
import { PAUSE_SET, POTENTIALLY_RUNNABLE, REQUEUE_SET } from "./statuses";

export interface JobStateMachine {
  /** Moves the job to `target` and on through every status that follows; returns the saved job. */
  jobStatusChange(tx: Db, emit: Emit, job: JobRow, target: JobStatus, reason: string): JobRow;
  /** Acts as if the job just entered its current status (start-up repair of stuck jobs). */
  reenforceJobStatus(tx: Db, emit: Emit, job: JobRow, reason: string): JobRow;
}

interface TaskReaction {
  /** The status the job moves on to, or null. */
  next: JobStatus | null;
  refreshTasks: boolean;
}

export function createJobStateMachine(deps: Pick<StateMachineDeps, "clock" | "log">): JobStateMachine {
  const { clock, log } = deps;

  /** What the job's tasks do now that `job` has its new status (docs/state-machines.md). */
  function reactTasks(tx: Db, job: JobRow, oldStatus: JobStatus): TaskReaction {
    switch (job.status) {
      case "active":
      case "completed":
      case "canceled":
      case "paused":
        return { next: null, refreshTasks: false };
      case "cancel-requested":
      case "failed":
        setStatusOfJobTasks(
          tx,
          job.id,
          POTENTIALLY_RUNNABLE,
          "canceled",
          bulkCanceledActivity(job.status),
          clock.now(),
        );
        return { next: job.status === "cancel-requested" ? "canceled" : null, refreshTasks: true };
      case "pause-requested": {
        setStatusOfJobTasks(tx, job.id, PAUSE_SET, "paused", bulkPausedActivity(job.status), clock.now());
        const pauseDone = countTasksOfJob(tx, job.id).of("active") === 0;
        return { next: pauseDone ? "paused" : null, refreshTasks: true };
      }
      case "requeueing":
        return { next: requeueTasks(tx, job, oldStatus), refreshTasks: true };
      case "queued": {
        const counts = countTasksOfJob(tx, job.id);
        return { next: counts.of("completed") === counts.total ? "completed" : null, refreshTasks: true };
      }
      case "under-construction":
        return { next: null, refreshTasks: false };
      default:
        // Unreachable by type; a corrupt row or a newer Manager's database could still hold it.
        log(`job ${job.uuid} got status "${String(job.status)}", which needs nothing from its tasks`);
        return { next: null, refreshTasks: false };
    }
  }

  /** Requeues the tasks a requeue covers; returns the next job status. */
  function requeueTasks(tx: Db, job: JobRow, oldStatus: JobStatus): JobStatus | null {
    // The compiler just stored these tasks as queued; there is nothing to requeue.
    if (oldStatus === "under-construction") return null;
    const now = clock.now();
    const from = oldStatus === "completed" ? "all" : REQUEUE_SET;
    setStatusOfJobTasks(tx, job.id, from, "queued", bulkRequeuedActivity(oldStatus, job.status), now);
    recountTaskSteps(tx, job.id, now);
    return "queued";
  }

  /** One round of the loop: save, react, announce. Returns the saved job and the next status. */
  function applyRound(tx: Db, emit: Emit, job: JobRow, target: JobStatus, activity: string) {
    const oldStatus = job.status;
    const updatedAt = clock.now();
    saveJobStatus(tx, job.id, target, activity, updatedAt);
    const { next, refreshTasks } = reactTasks(tx, { ...job, status: target, activity, updatedAt }, oldStatus);
    // Read once, after the reaction: it may have recounted the job's steps, and the event carries
    // the values after it.
    const fresh = requireJob(tx, job.id);
    emit(jobUpdate(fresh, { previousStatus: oldStatus, refreshTasks }));
    return { job: fresh, next };
  }

  return {
    jobStatusChange(tx, emit, job, target, reason) {
      let current = job;
      let next: JobStatus | null = target;
      while (next && next !== current.status) {
        ({ job: current, next } = applyRound(tx, emit, current, next, jobChangedActivity(next, reason)));
      }
      return current;
    },

    reenforceJobStatus(tx, emit, job, reason) {
      let current = job;
      let target = job.status;
      for (;;) {
        const startStatus = current.status;
        const round = applyRound(tx, emit, current, target, jobReenforcedActivity(target, reason));
        current = round.job;
        if (!round.next || round.next === startStatus) return current;
        target = round.next;
      }
    },
  };
}
