// Wire types the dashboard uses, inferred from the API contract (type-only imports, so no
// schema code reaches the browser bundle).
import type { z } from "zod";
import type * as events from "../manager/api/schemas/events";
import type * as jobs from "../manager/api/schemas/jobs";
import type * as meta from "../manager/api/schemas/meta";
import type * as workers from "../manager/api/schemas/workers";

export type Job = z.infer<typeof jobs.Job>;
export type JobStatus = z.infer<typeof jobs.JobStatus>;
/** Tablao may add the activity to task summaries; it is optional on the wire. */
export type TaskSummary = z.infer<typeof jobs.TaskSummary> & { activity?: string };
export type Task = z.infer<typeof jobs.Task>;
export type TaskStatus = z.infer<typeof jobs.TaskStatus>;
export type TaskLogInfo = z.infer<typeof jobs.TaskLogInfo>;
export type BlocklistEntry = z.infer<typeof jobs.JobBlocklistEntry>;
export type LastRenderedInfo = z.infer<typeof jobs.JobLastRenderedImageInfo>;

export type WorkerSummary = z.infer<typeof workers.WorkerSummary>;
export type Worker = z.infer<typeof workers.Worker>;
export type WorkerStatus = z.infer<typeof workers.WorkerStatus>;
export type WorkerTag = z.infer<typeof workers.WorkerTag>;
export type SleepSchedule = z.infer<typeof workers.WorkerSleepSchedule>;

export type FarmStatus = z.infer<typeof meta.FarmStatus>;
export type ManagerVersion = z.infer<typeof meta.FlamencoVersion>;

export type JobUpdate = z.infer<typeof events.EventJobUpdate>;
export type TaskUpdate = z.infer<typeof events.EventTaskUpdate>;
export type TaskLogUpdate = z.infer<typeof events.EventTaskLogUpdate>;
export type LastRenderedUpdate = z.infer<typeof events.EventLastRenderedUpdate>;
export type WorkerUpdate = z.infer<typeof events.EventWorkerUpdate>;
export type WorkerTagUpdate = z.infer<typeof events.EventWorkerTagUpdate>;
export type LifeCycle = z.infer<typeof events.EventLifeCycle>;
export type FarmStatusUpdate = z.infer<typeof events.EventFarmStatus>;
export type SubscriptionType = z.infer<typeof events.SocketIOSubscriptionType>;

/** Payload type per event name of a server→client frame. */
export interface EventPayloads {
  "/jobs": JobUpdate;
  "/task": TaskUpdate;
  "/tasklog": TaskLogUpdate;
  "/last-rendered": LastRenderedUpdate;
  "/workers": WorkerUpdate;
  "/workertags": WorkerTagUpdate;
  "/status": FarmStatusUpdate;
  "/lifecycle": LifeCycle;
}
export type EventName = keyof EventPayloads;
