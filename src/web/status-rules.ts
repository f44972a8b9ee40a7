// Which human actions the dashboard offers for which statuses (Flamenco's client-side rules;
// the Manager itself accepts any status change).
import type { JobStatus, TaskStatus, WorkerStatus } from "./types";

export const JOB_STATUSES: readonly JobStatus[] = [
  "active",
  "queued",
  "paused",
  "pause-requested",
  "completed",
  "failed",
  "canceled",
  "cancel-requested",
  "requeueing",
  "under-construction",
];

export type JobAction = "cancel" | "pause" | "requeue" | "delete";

interface JobActionRule {
  label: string;
  /** Status to request; absent for deletion, which has its own endpoint. */
  target?: JobStatus;
  from: readonly JobStatus[];
}

export const JOB_ACTIONS: Record<JobAction, JobActionRule> = {
  cancel: {
    label: "Cancel",
    target: "cancel-requested",
    from: ["active", "failed", "paused", "pause-requested", "queued"],
  },
  pause: { label: "Pause", target: "pause-requested", from: ["active", "canceled", "queued"] },
  requeue: { label: "Requeue", target: "requeueing", from: ["canceled", "completed", "failed", "paused"] },
  delete: { label: "Delete", from: ["canceled", "completed", "failed", "paused", "queued"] },
};

/** Jobs awaiting deletion take no further actions. */
export function jobActionAllowed(
  action: JobAction,
  job: { status: JobStatus; delete_requested_at?: string },
): boolean {
  return !job.delete_requested_at && JOB_ACTIONS[action].from.includes(job.status);
}

export function canCancelTask(task: TaskStatus, job: JobStatus | undefined): boolean {
  return job !== "pause-requested" && (task === "active" || task === "queued" || task === "soft-failed");
}

export function canRequeueTask(task: TaskStatus): boolean {
  return task === "canceled" || task === "completed" || task === "failed";
}

/** Statuses a person may ask a worker to go to. */
export const REQUESTABLE_WORKER_STATUSES: readonly WorkerStatus[] = ["awake", "asleep", "offline", "restart"];

/**
 * How a worker's pending status change reads. A worker that signs off keeps the status it had as
 * the one to take at its next sign-on (as in Flamenco), which is not a request waiting to be
 * carried out, so an offline worker's "change" says when it applies.
 */
export function pendingChangeText(status: string, change: { status: string; is_lazy: boolean }): string {
  if (status === "offline") return `${change.status} when it signs on again`;
  return `➜ ${change.status}${change.is_lazy ? " (lazy)" : ""}`;
}
