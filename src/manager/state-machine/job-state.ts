// The job status change (JSC) and its start-up "re-enforce" variant: save the job's new status,
// let its tasks react in bulk, announce it, and follow the chain of statuses that results (§4).
import { eq } from "drizzle-orm";
import { jobs, type JobRow } from "../db/schema";
import { requireJob } from "../db/rows";
import type { Emit } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import { jobUpdate } from "../events/payloads";
import type { StateMachineDeps } from "./deps";
import { countTasksOfJob, recountTaskSteps, setStatusOfJobTasks } from "./job-tasks";
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
  jobStatusChange(tx: DbOrTx, emit: Emit, job: JobRow, target: string, reason: string): JobRow;
  /** Acts as if the job just entered its current status (start-up repair of stuck jobs). */
  reenforceJobStatus(tx: DbOrTx, emit: Emit, job: JobRow, reason: string): JobRow;
}

/** "" = no follow-up status. */
interface TaskReaction {
  next: string;
  refreshTasks: boolean;
}

export function createJobStateMachine(deps: Pick<StateMachineDeps, "clock" | "log">): JobStateMachine {
  const { clock, log } = deps;

  /** Table 4.1: what the job's tasks do now that `job` has its new status. */
  function reactTasks(tx: DbOrTx, job: JobRow, oldStatus: string): TaskReaction {
    switch (job.status) {
      case "active":
      case "completed":
      case "canceled":
      case "paused":
        return { next: "", refreshTasks: false };
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
        return { next: job.status === "cancel-requested" ? "canceled" : "", refreshTasks: true };
      case "pause-requested": {
        setStatusOfJobTasks(tx, job.id, PAUSE_SET, "paused", bulkPausedActivity(job.status), clock.now());
        const pauseDone = countTasksOfJob(tx, job.id).of("active") === 0;
        return { next: pauseDone ? "paused" : "", refreshTasks: true };
      }
      case "requeueing":
        return { next: requeueTasks(tx, job, oldStatus), refreshTasks: true };
      case "queued": {
        const counts = countTasksOfJob(tx, job.id);
        return { next: counts.of("completed") === counts.total ? "completed" : "", refreshTasks: true };
      }
      default:
        log(`job ${job.uuid} got status "${job.status}", which needs nothing from its tasks`);
        return { next: "", refreshTasks: false };
    }
  }

  /** §4.3; returns the next job status. */
  function requeueTasks(tx: DbOrTx, job: JobRow, oldStatus: string): string {
    // The compiler just stored these tasks as queued; there is nothing to requeue.
    if (oldStatus === "under-construction") return "";
    const now = clock.now();
    const from = oldStatus === "completed" ? "all" : REQUEUE_SET;
    setStatusOfJobTasks(tx, job.id, from, "queued", bulkRequeuedActivity(oldStatus, job.status), now);
    recountTaskSteps(tx, job.id, now);
    return "queued";
  }

  /** One round of the loop: save, react, announce. Returns the saved job and the next status. */
  function applyRound(tx: DbOrTx, emit: Emit, job: JobRow, target: string, activity: string) {
    const oldStatus = job.status;
    const updatedAt = clock.now();
    tx.update(jobs).set({ status: target, activity, updatedAt }).where(eq(jobs.id, job.id)).run();
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
      let next = target;
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
