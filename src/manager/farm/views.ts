// The API representations of workers, tags and sleep schedules (Flamenco's WorkerSummary,
// Worker, RegisteredWorker, WorkerTag, WorkerStateChange and WorkerSleepSchedule shapes), as
// plain objects: the wire schemas only type them.
import type { z } from "@hono/zod-openapi";
import type { WorkerStatus } from "../../shared/statuses";
import type * as wire from "../api/schemas";
import type { WorkerTaskRef } from "../db/queries/workers";
import type { WorkerRow, WorkerTagRow } from "../db/schema";
import { iso } from "../../shared/wire-time";
import { taskSummaryView } from "../jobs/views";
import { splitTaskTypes } from "./registration";
import type { SleepScheduleFields } from "./sleep-schedule";

export function registeredWorkerView(w: WorkerRow): z.infer<typeof wire.RegisteredWorker> {
  return {
    uuid: w.uuid,
    name: w.name,
    address: w.address,
    platform: w.platform,
    software: w.software,
    status: w.status,
    supported_task_types: splitTaskTypes(w.supportedTaskTypes),
  };
}

export function stateChangeView(status: WorkerStatus): z.infer<typeof wire.WorkerStateChange> {
  return { status_requested: status };
}

export function workerSummaryView(w: WorkerRow): z.infer<typeof wire.WorkerSummary> {
  return {
    id: w.uuid,
    name: w.name,
    status: w.status,
    ...(w.statusRequested
      ? { status_change: { status: w.statusRequested, is_lazy: w.lazyStatusRequest } }
      : {}),
    ...(w.lastSeenAt ? { last_seen: iso(w.lastSeenAt) } : {}),
    version: w.software,
    can_restart: w.canRestart,
  };
}

/** Description omitted when empty, as Flamenco does. */
export function tagView(tag: WorkerTagRow): z.infer<typeof wire.WorkerTag> {
  return { id: tag.uuid, name: tag.name, ...(tag.description ? { description: tag.description } : {}) };
}

function workerTaskView(w: WorkerRow, ref: WorkerTaskRef): z.infer<typeof wire.WorkerTask> {
  return { ...taskSummaryView(ref.task, w), job_id: ref.job.uuid };
}

export function workerView(
  w: WorkerRow,
  tags: WorkerTagRow[],
  current: WorkerTaskRef | null,
): z.infer<typeof wire.Worker> {
  return {
    ...workerSummaryView(w),
    ip_address: w.address,
    platform: w.platform,
    supported_task_types: splitTaskTypes(w.supportedTaskTypes),
    ...(current ? { task: workerTaskView(w, current) } : {}),
    ...(tags.length > 0 ? { tags: tags.map(tagView) } : {}),
  };
}

export function sleepScheduleView(s: SleepScheduleFields): z.infer<typeof wire.WorkerSleepSchedule> {
  return {
    is_active: s.isActive,
    days_of_week: s.daysOfWeek,
    start_time: s.startTime,
    end_time: s.endTime,
  };
}
