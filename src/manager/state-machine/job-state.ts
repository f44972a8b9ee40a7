// The job status change (JSC) and its start-up "re-enforce" variant: save the job's new status,
// let its tasks react in bulk, announce it, and follow the chain of statuses that results
// (see docs/state-machines.md). The bulk task change moves at most JOB_TASKS_SLICE_ROWS tasks per
// transaction: a job with more stays in its transitional status (cancel-requested, requeueing,
// pause-requested, or failed while its tasks are being cancelled), and the rest follows in
// transactions of their own, a turn of the event loop apart, before the chain goes on. A crash in
// between leaves the job in a status the start-up repair re-enforces.
import type { JobStatus, TaskStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { jobById, requireJob } from "../db/queries/jobs";
import {
  countTasksOfJob,
  lastTaskIndex,
  recountTaskSteps,
  saveJobStatus,
  setStatusOfJobTasks,
  type TaskRange,
} from "../db/queries/job-tasks";
import type { JobRow } from "../db/schema";
import { afterCommit, inTransaction } from "../db/transaction";
import { emitAfterCommit, type Emit } from "../events/broker";
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

/** Tasks (by their place in the job) one transaction of a job's bulk task change walks at most. */
export const JOB_TASKS_SLICE_ROWS = 500;

/** How long after a failed slice of a job's bulk task change the next try comes. */
export const JOB_TASKS_RETRY_MS = 1000;

interface TaskReaction {
  /** The status the job moves on to, or null. */
  next: JobStatus | null;
  refreshTasks: boolean;
  /** Tasks are left to walk: the change goes on after this commit, the job keeps its status. */
  walking?: boolean;
}

/** A bulk task change: the tasks in `from` (or any) go to `to`; a requeue also recounts steps. */
interface TaskMove {
  from: readonly TaskStatus[] | "all";
  to: TaskStatus;
  activity: string;
  recountSteps?: boolean;
}

/**
 * A bulk task change with tasks left to walk: the job's status it serves, how it began, the move,
 * and the place in the job (index_in_job) up to which it is done.
 */
interface PendingReaction {
  status: JobStatus;
  oldStatus: JobStatus;
  reason: string;
  move: TaskMove;
  doneUpTo: number;
}

const WALKING: TaskReaction = { next: null, refreshTasks: true, walking: true };

export function createJobStateMachine(
  deps: Pick<StateMachineDeps, "clock" | "log" | "db" | "broker">,
): JobStateMachine {
  const { clock, log } = deps;
  // Only what committed changes left to walk: entries are set and taken by after-commit work, so
  // a change that rolls back leaves the map as it was (and the continuation it had, if any).
  const pending = new Map<number, PendingReaction>();
  /** Jobs with a continuation waiting to run (at most one each). */
  const scheduled = new Set<number>();

  function schedule(jobId: number, delayMs = 0): void {
    if (scheduled.has(jobId)) return;
    scheduled.add(jobId);
    const run = () => {
      scheduled.delete(jobId);
      continueReaction(jobId);
    };
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs).unref?.();
  }

  /** Once `tx` commits, `p` (if still the job's entry) is done with. */
  function takeOnCommit(tx: Db, jobId: number, p: PendingReaction): void {
    afterCommit(tx, () => {
      if (pending.get(jobId) === p) pending.delete(jobId);
    });
  }

  function applyMove(tx: Db, jobId: number, move: TaskMove, range: TaskRange): void {
    setStatusOfJobTasks(tx, jobId, move.from, move.to, move.activity, clock.now(), range);
    if (move.recountSteps) recountTaskSteps(tx, jobId, clock.now(), range);
  }

  /**
   * Moves the tasks of the next slice of the job (after `after`); false when tasks are left,
   * which then follow after this change's commit.
   */
  function moveTasks(
    tx: Db,
    job: JobRow,
    oldStatus: JobStatus,
    reason: string,
    after: number,
    move: TaskMove,
  ): boolean {
    const range = { after, upTo: after + JOB_TASKS_SLICE_ROWS };
    applyMove(tx, job.id, move, range);
    if (range.upTo >= lastTaskIndex(tx, job.id)) return true;
    const p: PendingReaction = { status: job.status, oldStatus, reason, move, doneUpTo: range.upTo };
    afterCommit(tx, () => {
      pending.set(job.id, p);
      schedule(job.id);
    });
    return false;
  }

  /**
   * A new status for a job whose bulk change is still walking (a task's reaction, a user's
   * request): that change is finished first, in one go, so the job's tasks end as they would
   * have without slices. Rare, and then one longer write.
   */
  function finishPendingMove(tx: Db, jobId: number): void {
    const p = pending.get(jobId);
    if (!p) return;
    takeOnCommit(tx, jobId, p);
    applyMove(tx, jobId, p.move, { after: p.doneUpTo, upTo: lastTaskIndex(tx, jobId) });
  }

  /**
   * The next slice of a pending bulk change; once none is left, the job's chain goes on. A slice
   * that fails is tried again after JOB_TASKS_RETRY_MS (its entry stays: it was not committed).
   */
  function continueReaction(jobId: number): void {
    const p = pending.get(jobId);
    if (!p) return;
    try {
      inTransaction(deps.db, (tx) => {
        takeOnCommit(tx, jobId, p);
        const job = jobById(tx, jobId);
        // Deleted, or moved on by another change (which made its own reaction).
        if (!job || job.status !== p.status) return;
        const emit = emitAfterCommit(deps.broker, tx);
        const { next, refreshTasks, walking } = reactTasks(tx, job, p.oldStatus, p.reason, p.doneUpTo);
        if (walking) return;
        emit(jobUpdate(requireJob(tx, jobId), { refreshTasks }));
        if (next) machine.jobStatusChange(tx, emit, requireJob(tx, jobId), next, p.reason);
      });
    } catch (err) {
      log(
        `job ${jobId}: continuing its bulk task change failed, trying again in ${JOB_TASKS_RETRY_MS} ms: ` +
          (err as Error).message,
      );
      schedule(jobId, JOB_TASKS_RETRY_MS);
    }
  }

  /** What the job's tasks do now that `job` has its new status (docs/state-machines.md). */
  function reactTasks(tx: Db, job: JobRow, oldStatus: JobStatus, reason: string, after = 0): TaskReaction {
    switch (job.status) {
      case "active":
      case "completed":
      case "canceled":
      case "paused":
        return { next: null, refreshTasks: false };
      case "cancel-requested":
      case "failed": {
        const move = {
          from: POTENTIALLY_RUNNABLE,
          to: "canceled" as const,
          activity: bulkCanceledActivity(job.status),
        };
        if (!moveTasks(tx, job, oldStatus, reason, after, move)) return WALKING;
        return { next: job.status === "cancel-requested" ? "canceled" : null, refreshTasks: true };
      }
      case "pause-requested": {
        const move: TaskMove = { from: PAUSE_SET, to: "paused", activity: bulkPausedActivity(job.status) };
        if (!moveTasks(tx, job, oldStatus, reason, after, move)) return WALKING;
        const pauseDone = countTasksOfJob(tx, job.id).of("active") === 0;
        return { next: pauseDone ? "paused" : null, refreshTasks: true };
      }
      case "requeueing":
        return requeueTasks(tx, job, oldStatus, reason, after);
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

  /** Requeues the tasks a requeue covers. */
  function requeueTasks(
    tx: Db,
    job: JobRow,
    oldStatus: JobStatus,
    reason: string,
    after: number,
  ): TaskReaction {
    // The compiler just stored these tasks as queued; there is nothing to requeue.
    if (oldStatus === "under-construction") return { next: null, refreshTasks: true };
    const from: readonly TaskStatus[] | "all" = oldStatus === "completed" ? "all" : REQUEUE_SET;
    const activity = bulkRequeuedActivity(oldStatus, job.status);
    const move: TaskMove = { from, to: "queued", activity, recountSteps: true };
    return moveTasks(tx, job, oldStatus, reason, after, move)
      ? { next: "queued", refreshTasks: true }
      : WALKING;
  }

  /** One round of the loop: save, react, announce. Returns the saved job and the next status. */
  function applyRound(tx: Db, emit: Emit, job: JobRow, target: JobStatus, activity: string, reason: string) {
    const oldStatus = job.status;
    const updatedAt = clock.now();
    finishPendingMove(tx, job.id);
    saveJobStatus(tx, job.id, target, activity, updatedAt);
    const reacted = { ...job, status: target, activity, updatedAt };
    const { next, refreshTasks } = reactTasks(tx, reacted, oldStatus, reason);
    // Read once, after the reaction: it may have recounted the job's steps, and the event carries
    // the values after it.
    const fresh = requireJob(tx, job.id);
    emit(jobUpdate(fresh, { previousStatus: oldStatus, refreshTasks }));
    return { job: fresh, next };
  }

  const machine: JobStateMachine = {
    jobStatusChange(tx, emit, job, target, reason) {
      let current = job;
      let next: JobStatus | null = target;
      while (next && next !== current.status) {
        ({ job: current, next } = applyRound(
          tx,
          emit,
          current,
          next,
          jobChangedActivity(next, reason),
          reason,
        ));
      }
      return current;
    },

    reenforceJobStatus(tx, emit, job, reason) {
      let current = job;
      let target = job.status;
      for (;;) {
        const startStatus = current.status;
        const round = applyRound(tx, emit, current, target, jobReenforcedActivity(target, reason), reason);
        current = round.job;
        if (!round.next || round.next === startStatus) return current;
        target = round.next;
      }
    },
  };
  return machine;
}
