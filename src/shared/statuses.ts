// The status vocabulary of jobs, tasks and workers as Flamenco names them on the wire: one list
// each, from which the database columns, the API schemas and the state machines take their types.

export const JOB_STATUSES = [
  "active",
  "canceled",
  "completed",
  "failed",
  "paused",
  "pause-requested",
  "queued",
  "cancel-requested",
  "requeueing",
  "under-construction",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TASK_STATUSES = [
  "active",
  "canceled",
  "completed",
  "failed",
  "queued",
  "soft-failed",
  "paused",
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const WORKER_STATUSES = [
  "starting",
  "awake",
  "asleep",
  "error",
  "testing",
  "offline",
  "restart",
] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];
/** What a worker row holds: a WorkerStatus, or "" for a worker that registered but never signed on. */
export type StoredWorkerStatus = WorkerStatus | "";

export const isJobStatus = (s: string): s is JobStatus => (JOB_STATUSES as readonly string[]).includes(s);
export const isTaskStatus = (s: string): s is TaskStatus => (TASK_STATUSES as readonly string[]).includes(s);
