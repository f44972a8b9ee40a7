// Wire types the dashboard uses, inferred from the API contract (type-only imports, so no
// schema code reaches the browser bundle).
import type { z } from "zod";
import type * as events from "../manager/api/schemas/events";
import type { EventName, EventPayloads } from "../manager/events/broker";
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

/** Payload type per event name of a server→client frame: the broker's own map, so the two agree. */
export type { EventName, EventPayloads };

export type JobUpdate = EventPayloads["/jobs"];
export type TaskUpdate = EventPayloads["/task"];
export type WorkerUpdate = EventPayloads["/workers"];
export type WorkerTagUpdate = EventPayloads["/workertags"];
export type SubscriptionType = z.infer<typeof events.SocketIOSubscriptionType>;
