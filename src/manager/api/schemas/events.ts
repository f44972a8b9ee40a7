// Wire schemas of the event bus payloads (WebSocket and MQTT) and of client subscriptions.
// No HTTP route uses them; `eventSchemas` lists them for registration as components.
import { z } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import { TablaoPrincipalVia, TablaoRole } from "./auth";
import { dateTime, uuid } from "./common";
import { JobLastRenderedImageInfo, JobStatus, TaskStatus } from "./jobs";
import { FarmStatus } from "./meta";
import { WorkerStatus, WorkerStatusChangeRequest, WorkerTag } from "./workers";

export const EventJobUpdate = z
  .object({
    id: uuid(),
    name: z.string().optional(),
    updated: dateTime(),
    status: JobStatus,
    previous_status: JobStatus.optional().openapi({
      description: "Status before this change; absent for new jobs.",
    }),
    type: z.string(),
    priority: z.number().int(),
    refresh_tasks: z.boolean().openapi({
      description:
        "Many tasks changed at once; clients should reload the task list instead of waiting for task events.",
    }),
    steps_completed: z.number().int(),
    steps_total: z.number().int(),
    delete_requested_at: dateTime().optional().openapi({ description: "When deletion was requested." }),
    was_deleted: z
      .boolean()
      .optional()
      .openapi({ description: "True in the event announcing the job is gone." }),
  })
  .openapi("EventJobUpdate", { description: "A job was created, changed or deleted." });

export const AssignedWorker = z
  .object({ name: z.string(), uuid: uuid() })
  .openapi("AssignedWorker", { description: "The worker a task is assigned to." });

export const EventTaskUpdate = z
  .object({
    id: uuid(),
    job_id: uuid(),
    worker: AssignedWorker.optional(),
    name: z.string(),
    updated: dateTime(),
    status: TaskStatus,
    previous_status: TaskStatus.optional(),
    activity: z.string(),
    steps_completed: z.number().int(),
    steps_total: z.number().int(),
  })
  .openapi("EventTaskUpdate", { description: "A task changed; sent on its job's topic." });

export const EventTaskLogUpdate = z
  .object({
    task_id: uuid(),
    log: z.string().openapi({ description: "The appended text; may span several lines." }),
  })
  .openapi("EventTaskLogUpdate", {
    description: "Text was appended to a task log; sent on the task's own topic.",
  });

export const EventLastRenderedUpdate = z
  .object({
    job_id: uuid(),
    task_id: uuid()
      .optional()
      .openapi({ description: "Never sent; listed for parity with Flamenco's schema." }),
    thumbnail: JobLastRenderedImageInfo,
  })
  .openapi("EventLastRenderedUpdate", { description: "New last-rendered images of a job are available." });

export const EventWorkerUpdate = z
  .object({
    id: uuid(),
    name: z.string(),
    updated: dateTime(),
    last_seen: dateTime().optional(),
    status: z.union([WorkerStatus, z.literal("")]),
    previous_status: WorkerStatus.optional(),
    status_change: WorkerStatusChangeRequest.optional().openapi({
      description: "Pending status request, if any.",
    }),
    version: z.string(),
    deleted_at: dateTime()
      .optional()
      .openapi({ description: "Set only in the event announcing the worker's deletion." }),
    can_restart: z.boolean(),
  })
  .openapi("EventWorkerUpdate", { description: "A worker changed or was deleted." });

export const EventWorkerTagUpdate = z
  .object({
    tag: WorkerTag,
    was_deleted: z.boolean().optional().openapi({ description: "True when the tag was deleted." }),
  })
  .openapi("EventWorkerTagUpdate", { description: "A worker tag was created, changed or deleted." });

export const LifeCycleEventType = z
  .enum(["manager-startup", "manager-shutdown"])
  .openapi("LifeCycleEventType", { description: "Manager life-cycle moment." });

export const EventLifeCycle = z
  .object({ type: LifeCycleEventType })
  .openapi("EventLifeCycle", { description: "The Manager started or is shutting down." });

export const EventFarmStatus = z
  .object({ status: FarmStatus })
  .openapi("EventFarmStatus", { description: "The farm status changed (same shape as FarmStatusReport)." });

export const EventDatabaseCheck = z
  .object({
    ok: z.boolean(),
    problems: z.array(z.string()).openapi({
      description: "What SQLite's integrity and foreign-key checks found, or why the check could not finish.",
    }),
    checked_at: dateTime(),
    duration_ms: z.number().int(),
  })
  .openapi("EventDatabaseCheck", {
    description: "Tablao's own: the result of a periodic database integrity check, on topic `/database`.",
  });

export const EventAudit = z
  .object({
    time: dateTime(),
    operation: z
      .string()
      .openapi({ description: "The operationId, or `METHOD path` outside the API document." }),
    method: z.string(),
    path: z.string().openapi({ description: "The request path." }),
    params: z
      .record(z.string(), z.string())
      .openapi({ description: "The path parameters (job, task, worker, ...)." }),
    status: z.number().int().openapi({ description: "The HTTP status of the answer." }),
    principal: z
      .object({ name: z.string(), role: TablaoRole, via: TablaoPrincipalVia, address: z.string() })
      .openapi({ description: "Who made the change, how they were recognised and from which address." }),
  })
  .openapi("EventAudit", {
    description: "Tablao's own: an operator or admin change succeeded; sent on the `/audit` topic.",
  });

export const SocketIOSubscriptionOperation = z
  .enum(["subscribe", "unsubscribe"])
  .openapi("SocketIOSubscriptionOperation", { description: "Join or leave." });

export const SocketIOSubscriptionType = z
  .enum(["allJobs", "allWorkers", "job", "tasklog", "allLastRendered", "allWorkerTags"])
  .openapi("SocketIOSubscriptionType", { description: "Which stream of events to join or leave." });

export const SocketIOSubscription = z
  .object({
    op: SocketIOSubscriptionOperation,
    type: SocketIOSubscriptionType,
    uuid: uuid()
      .optional()
      .openapi({ description: "The job or task, for `job` and `tasklog` subscriptions." }),
  })
  .openapi("SocketIOSubscription", {
    description:
      "Sent by an event-stream client to join or leave a stream. Only life-cycle and " +
      "farm-status events arrive without a subscription.",
  });

export const eventSchemas: ReadonlyArray<{ name: string; schema: ZodType }> = [
  { name: "EventJobUpdate", schema: EventJobUpdate },
  { name: "EventTaskUpdate", schema: EventTaskUpdate },
  { name: "EventTaskLogUpdate", schema: EventTaskLogUpdate },
  { name: "EventLastRenderedUpdate", schema: EventLastRenderedUpdate },
  { name: "EventWorkerUpdate", schema: EventWorkerUpdate },
  { name: "EventWorkerTagUpdate", schema: EventWorkerTagUpdate },
  { name: "EventLifeCycle", schema: EventLifeCycle },
  { name: "EventFarmStatus", schema: EventFarmStatus },
  { name: "EventAudit", schema: EventAudit },
  { name: "EventDatabaseCheck", schema: EventDatabaseCheck },
  { name: "SocketIOSubscription", schema: SocketIOSubscription },
];
