// The API representations of stored jobs and tasks (Flamenco's Job, TaskSummary, Task shapes).
import type { WorkerRef } from "../db/queries/task-views";
import type { JobRow, TaskRow } from "../db/schema";
import { iso } from "../../shared/wire-time";

/** Flamenco's TaskWorker: always present, empty strings when unassigned. */
function taskWorker(w: WorkerRef | null) {
  return w ? { id: w.uuid, name: w.name, address: w.address } : { id: "", name: "", address: "" };
}

function sortedKeys<T>(obj: Record<string, T>): Record<string, T> {
  // By UTF-16 code units, as Array.prototype.sort orders strings.
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function jobView(job: JobRow, workerTagUUID?: string | null) {
  return {
    id: job.uuid,
    name: job.name,
    type: job.jobType,
    priority: job.priority,
    submitter_platform: "",
    settings: sortedKeys(job.settings ?? {}),
    metadata: job.metadata ?? {},
    ...(job.storageShamanCheckoutId ? { storage: { shaman_checkout_id: job.storageShamanCheckoutId } } : {}),
    ...(workerTagUUID ? { worker_tag: workerTagUUID } : {}),
    created: iso(job.createdAt),
    updated: iso(job.updatedAt),
    status: job.status,
    activity: job.activity,
    steps_completed: job.stepsCompleted,
    steps_total: job.stepsTotal,
    ...(job.deleteRequestedAt ? { delete_requested_at: iso(job.deleteRequestedAt) } : {}),
  };
}

export function taskSummaryView(task: TaskRow, worker: WorkerRef | null) {
  return {
    id: task.uuid,
    name: task.name,
    status: task.status,
    index_in_job: task.indexInJob,
    priority: task.priority,
    task_type: task.type,
    updated: iso(task.updatedAt),
    steps_completed: task.stepsCompleted,
    steps_total: task.stepsTotal,
    activity: task.activity,
    worker: taskWorker(worker),
  };
}

export function taskView(task: TaskRow, jobUUID: string, worker: WorkerRef | null, failedBy: WorkerRef[]) {
  return {
    id: task.uuid,
    created: iso(task.createdAt),
    updated: iso(task.updatedAt),
    job_id: jobUUID,
    index_in_job: task.indexInJob,
    name: task.name,
    status: task.status,
    priority: task.priority,
    task_type: task.type,
    activity: task.activity,
    commands: task.commands,
    steps_completed: task.stepsCompleted,
    steps_total: task.stepsTotal,
    worker: taskWorker(worker),
    ...(task.lastTouchedAt ? { last_touched: iso(task.lastTouchedAt) } : {}),
    failed_by_workers: failedBy.map(taskWorker),
  };
}
