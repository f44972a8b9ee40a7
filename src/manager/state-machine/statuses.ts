// Job and task statuses as Flamenco names them on the wire, and the named status sets the
// state machines, scheduler and may-keep-running check act on (see docs/state-machines.md).

import type { JobStatus, TaskStatus } from "../../shared/statuses";

/** Task statuses a worker may keep running (checked by may-i-run). */
export const WORKER_RUNNABLE: readonly TaskStatus[] = ["active"];
/** Task statuses the scheduler hands out. */
export const SCHEDULABLE_TASK: readonly TaskStatus[] = ["queued", "soft-failed"];
/** Job statuses whose tasks the scheduler hands out (or re-hands, for an active task). */
export const SCHEDULABLE_JOB: readonly JobStatus[] = ["queued", "active"];
/** Tasks that may still run: a job auto-cancels when none is left, and cancelling cancels these. */
export const POTENTIALLY_RUNNABLE: readonly TaskStatus[] = ["active", "queued", "soft-failed"];
/** Tasks paused on `pause-requested`; active tasks keep running until they finish. */
export const PAUSE_SET: readonly TaskStatus[] = ["queued", "soft-failed"];
/** Tasks requeued when a job enters `requeueing` from anything but `completed`. */
export const REQUEUE_SET: readonly TaskStatus[] = ["canceled", "failed", "paused", "soft-failed"];
/** Transitional job statuses that only a crash can leave standing; repaired at start-up. */
export const STUCK_JOB: readonly JobStatus[] = ["cancel-requested", "requeueing", "pause-requested"];
/** Job statuses in which a returned task is paused instead of queued. */
export const PAUSING_JOB: readonly JobStatus[] = ["pause-requested", "paused"];
