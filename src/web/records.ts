// Keeping client-side copies of jobs, tasks, workers and tags current from REST snapshots and events.
import { isNotOlder } from "./format";
import type {
  Job,
  JobUpdate,
  TaskSummary,
  TaskUpdate,
  WorkerSummary,
  WorkerTag,
  WorkerTagUpdate,
  WorkerUpdate,
} from "./types";

/** What the jobs table shows: the fields a job event carries. */
export type JobRow = Pick<
  Job,
  | "id"
  | "name"
  | "status"
  | "type"
  | "priority"
  | "steps_completed"
  | "steps_total"
  | "updated"
  | "delete_requested_at"
>;

export function jobRow(j: Job | JobUpdate): JobRow {
  return {
    id: j.id,
    name: j.name ?? "",
    status: j.status,
    type: j.type,
    priority: j.priority,
    steps_completed: j.steps_completed,
    steps_total: j.steps_total,
    updated: j.updated,
    delete_requested_at: j.delete_requested_at,
  };
}

/** A worker in the workers table; events add when it last changed. */
export type WorkerRow = WorkerSummary & { updated?: string };

/**
 * Replaces the list with a fresh snapshot, except where an event delivered newer state while
 * the snapshot was in flight, or announced a deletion the snapshot predates.
 */
export function mergeSnapshot<T extends { id: string; updated?: string }>(
  current: ReadonlyMap<string, T>,
  snapshot: readonly T[],
  deleted: ReadonlySet<string>,
): Map<string, T> {
  const next = new Map<string, T>();
  for (const item of snapshot) {
    if (deleted.has(item.id)) continue;
    const known = current.get(item.id);
    next.set(item.id, known && !isNotOlder(item, known) ? known : item);
  }
  return next;
}

export function applyJobUpdate(jobs: ReadonlyMap<string, JobRow>, u: JobUpdate): Map<string, JobRow> {
  const next = new Map(jobs);
  if (u.was_deleted) next.delete(u.id);
  else if (isNotOlder(u, jobs.get(u.id))) next.set(u.id, jobRow(u));
  return next;
}

/** A freshly fetched job replaces its row unless an event already brought newer state. */
export function applyJobSnapshot(jobs: ReadonlyMap<string, JobRow>, job: Job): Map<string, JobRow> {
  const next = new Map(jobs);
  if (isNotOlder(job, jobs.get(job.id))) next.set(job.id, jobRow(job));
  return next;
}

export function applyWorkerUpdate(
  workers: ReadonlyMap<string, WorkerRow>,
  u: WorkerUpdate,
): Map<string, WorkerRow> {
  const next = new Map(workers);
  if (u.deleted_at) {
    next.delete(u.id);
    return next;
  }
  const known = workers.get(u.id);
  if (!isNotOlder(u, known)) return next;
  next.set(u.id, {
    id: u.id,
    name: u.name,
    status: u.status,
    version: u.version,
    can_restart: u.can_restart,
    // Some events (sleep scheduler, timeouts) leave last_seen out without it having changed.
    last_seen: u.last_seen ?? known?.last_seen,
    status_change: u.status_change,
    updated: u.updated,
  });
  return next;
}

export function applyTagUpdate(tags: readonly WorkerTag[], u: WorkerTagUpdate): WorkerTag[] {
  const others = tags.filter((t) => t.id !== u.tag.id);
  if (u.was_deleted) return others;
  const at = tags.findIndex((t) => t.id === u.tag.id);
  const tag = { ...u.tag, description: u.tag.description ?? "" };
  if (at < 0) return [...others, tag];
  const next = [...tags];
  next[at] = tag;
  return next;
}

export function applyTaskUpdate(
  tasks: ReadonlyMap<string, TaskSummary>,
  u: TaskUpdate,
): Map<string, TaskSummary> {
  const next = new Map(tasks);
  const known = tasks.get(u.id);
  if (!known || !isNotOlder(u, known)) return next;
  next.set(u.id, {
    ...known,
    name: u.name,
    status: u.status,
    updated: u.updated,
    activity: u.activity,
    steps_completed: u.steps_completed,
    steps_total: u.steps_total,
    worker: u.worker
      ? { id: u.worker.uuid, name: u.worker.name, address: known.worker?.address ?? "" }
      : known.worker,
  });
  return next;
}

/**
 * Task summaries may lack the activity, which only events carry; keep the one last seen as
 * long as the task has not changed since.
 */
export function withKnownActivity(fetched: TaskSummary, known: TaskSummary | undefined): TaskSummary {
  if (fetched.activity !== undefined || known?.activity === undefined || known.updated !== fetched.updated)
    return fetched;
  return { ...fetched, activity: known.activity };
}
