// Builders for the event payloads of Flamenco's event bus (topics and JSON shapes), from
// freshly saved rows, so every event carries the values after the save.
import type { JobRow, TaskRow, WorkerRow, WorkerTagRow } from "../db/schema";
import type { JobStatus, StoredWorkerStatus, TaskStatus } from "../../shared/statuses";
import type { BrokerEvent, EventPayloads } from "./broker";
import { iso } from "../../shared/wire-time";

export const topics = {
  lifecycle: "/lifecycle",
  status: "/status",
  jobs: "/jobs",
  lastRendered: "/last-rendered",
  workers: "/workers",
  workerTags: "/workertags",
  audit: "/audit",
  job: (jobUUID: string) => `/jobs/${jobUUID}`,
  jobLastRendered: (jobUUID: string) => `/jobs/${jobUUID}/last-rendered`,
  taskLog: (taskUUID: string) => `/tasklog/${taskUUID}`,
  database: "/database",
} as const;

export interface JobUpdateExtras {
  previousStatus?: JobStatus;
  refreshTasks?: boolean;
}

export function jobUpdate(job: JobRow, extras: JobUpdateExtras = {}): BrokerEvent<"/jobs"> {
  return {
    topic: topics.jobs,
    event: "/jobs",
    payload: {
      id: job.uuid,
      name: job.name,
      updated: iso(job.updatedAt),
      status: job.status,
      ...(extras.previousStatus !== undefined ? { previous_status: extras.previousStatus } : {}),
      type: job.jobType,
      priority: job.priority,
      refresh_tasks: extras.refreshTasks ?? false,
      steps_completed: job.stepsCompleted,
      steps_total: job.stepsTotal,
      ...(job.deleteRequestedAt ? { delete_requested_at: iso(job.deleteRequestedAt) } : {}),
    },
  };
}

/**
 * The "job gone" event. Tablao keeps the last name, status and type (Flamenco sends them
 * empty), so clients can still say which job was deleted.
 */
export function jobDeleted(job: JobRow): BrokerEvent<"/jobs"> {
  const e = jobUpdate(job);
  return { ...e, payload: { ...e.payload, was_deleted: true } };
}

export function taskUpdate(
  task: TaskRow,
  jobUUID: string,
  worker: Pick<WorkerRow, "name" | "uuid"> | null,
  previousStatus?: TaskStatus,
): BrokerEvent<"/task"> {
  return {
    topic: topics.job(jobUUID),
    event: "/task",
    payload: {
      id: task.uuid,
      job_id: jobUUID,
      name: task.name,
      updated: iso(task.updatedAt),
      status: task.status,
      ...(previousStatus !== undefined ? { previous_status: previousStatus } : {}),
      activity: task.activity,
      steps_completed: task.stepsCompleted,
      steps_total: task.stepsTotal,
      ...(worker ? { worker: { name: worker.name, uuid: worker.uuid } } : {}),
    },
  };
}

export function taskLogUpdate(taskUUID: string, log: string): BrokerEvent<"/tasklog"> {
  return { topic: topics.taskLog(taskUUID), event: "/tasklog", payload: { task_id: taskUUID, log } };
}

export interface WorkerUpdateExtras {
  previousStatus?: StoredWorkerStatus;
  deletedAt?: Date;
}

/** A worker update always carries the name and, on status changes, the previous status. */
export function workerUpdate(worker: WorkerRow, extras: WorkerUpdateExtras = {}): BrokerEvent<"/workers"> {
  return {
    topic: topics.workers,
    event: "/workers",
    payload: {
      id: worker.uuid,
      name: worker.name,
      updated: iso(worker.updatedAt),
      status: worker.status,
      version: worker.software,
      can_restart: worker.canRestart,
      ...(worker.lastSeenAt ? { last_seen: iso(worker.lastSeenAt) } : {}),
      ...(extras.previousStatus !== undefined ? { previous_status: extras.previousStatus } : {}),
      ...(worker.statusRequested
        ? { status_change: { status: worker.statusRequested, is_lazy: worker.lazyStatusRequest } }
        : {}),
      ...(extras.deletedAt ? { deleted_at: iso(extras.deletedAt) } : {}),
    },
  };
}

export function workerTagUpdate(tag: WorkerTagRow, wasDeleted = false): BrokerEvent<"/workertags"> {
  return {
    topic: topics.workerTags,
    event: "/workertags",
    payload: wasDeleted
      ? { tag: { id: tag.uuid, name: tag.name, description: tag.description }, was_deleted: true }
      : { tag: { id: tag.uuid, name: tag.name, description: tag.description } },
  };
}

export type LastRenderedThumbnail = EventPayloads["/last-rendered"]["thumbnail"];

/** Per-job first, then farm-wide, as Flamenco broadcasts them. */
export function lastRenderedUpdates(
  jobUUID: string,
  thumbnail: LastRenderedThumbnail,
): [BrokerEvent<"/last-rendered">, BrokerEvent<"/last-rendered">] {
  const payload = { job_id: jobUUID, thumbnail };
  return [
    { topic: topics.jobLastRendered(jobUUID), event: "/last-rendered", payload },
    { topic: topics.lastRendered, event: "/last-rendered", payload },
  ];
}

export function lifecycle(type: EventPayloads["/lifecycle"]["type"]): BrokerEvent<"/lifecycle"> {
  return { topic: topics.lifecycle, event: "/lifecycle", payload: { type } };
}

export function farmStatus(status: EventPayloads["/status"]["status"]): BrokerEvent<"/status"> {
  return { topic: topics.status, event: "/status", payload: { status } };
}

/** The result of a periodic database check (Tablao's own event; see docs/backups.md). */
export function databaseCheck(result: {
  ok: boolean;
  problems: string[];
  checkedAt: Date;
  durationMs: number;
}): BrokerEvent<"/database-check"> {
  return {
    topic: topics.database,
    event: "/database-check",
    payload: {
      ok: result.ok,
      problems: result.problems,
      checked_at: iso(result.checkedAt),
      duration_ms: Math.round(result.durationMs),
    },
  };
}

/** Tablao's own: an operator or admin change (see src/manager/auth/audit.ts). */
export function auditEvent(payload: EventPayloads["/audit"]): BrokerEvent<"/audit"> {
  return { topic: topics.audit, event: "/audit", payload };
}
