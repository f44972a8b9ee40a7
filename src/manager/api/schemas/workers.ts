// Wire schemas for the worker protocol (registration, sign-on, task execution) and for
// worker management (worker lists, status requests, tags, sleep schedules).
import { z } from "@hono/zod-openapi";
import { WORKER_STATUSES } from "../../../shared/statuses";
import { dateTime, uuid, uuidOrEmpty } from "./common";
import { Command, TaskStatus, TaskSummary } from "./jobs";
import { SECRET_MAX_BYTES } from "../../farm/auth";

export const WorkerStatus = z
  .enum(WORKER_STATUSES)
  .openapi("WorkerStatus", { description: "Lifecycle status of a worker." });

/**
 * A worker's stored status as reported back: a WorkerStatus, or `""` for a worker that
 * registered but never signed on.
 */
const ReportedWorkerStatus = z.union([WorkerStatus, z.literal("")]);

// ---- Worker protocol ------------------------------------------------------------------------

export const WorkerRegistration = z
  .object({
    secret: z
      .string()
      .refine((s) => new TextEncoder().encode(s).length <= SECRET_MAX_BYTES, {
        message: `secret must be at most ${SECRET_MAX_BYTES} bytes`,
      })
      .openapi({
        description: `Password the worker will authenticate with (at most ${SECRET_MAX_BYTES} bytes).`,
      }),
    platform: z.string().openapi({ description: "Operating system of the worker." }),
    supported_task_types: z.array(z.string()),
    name: z.string(),
  })
  .openapi("WorkerRegistration", { description: "A new worker introducing itself." });

export const RegisteredWorker = z
  .object({
    uuid: uuid().openapi({ description: "The worker's identity; the username for authentication." }),
    name: z.string(),
    address: z.string().openapi({ description: "Client address the Manager saw." }),
    status: ReportedWorkerStatus,
    platform: z.string(),
    software: z.string().openapi({ description: "Worker version; empty until sign-on." }),
    supported_task_types: z.array(z.string()),
  })
  .openapi("RegisteredWorker", { description: "The stored worker after registration." });

export const WorkerSignOn = z
  .object({
    name: z.string(),
    supported_task_types: z.array(z.string()),
    software_version: z.string(),
    can_restart: z.boolean().optional().openapi({ description: "Whether the worker can restart itself." }),
  })
  .openapi("WorkerSignOn", { description: "Worker details sent at every start-up." });

export const WorkerStateChange = z
  .object({ status_requested: WorkerStatus })
  .openapi("WorkerStateChange", { description: "The status the Manager wants the worker to go to." });

export const WorkerStateChanged = z
  .object({ status: WorkerStatus })
  .openapi("WorkerStateChanged", { description: "The status the worker has just entered." });

export const AssignedTask = z
  .object({
    uuid: uuid(),
    job: uuid().openapi({ description: "UUID of the task's job." }),
    name: z.string(),
    status: TaskStatus,
    priority: z.number().int(),
    job_priority: z.number().int(),
    job_type: z.string(),
    task_type: z.string(),
    commands: z.array(Command),
    steps_completed: z.number().int(),
    steps_total: z.number().int(),
  })
  .openapi("AssignedTask", {
    description: "A task handed to a worker, with variables expanded for its platform.",
  });

export const TaskUpdate = z
  .object({
    taskStatus: TaskStatus.optional().openapi({ description: "New status of the task." }),
    activity: z
      .string()
      .optional()
      .openapi({ description: "One line on what the task is doing; replaces the previous one." }),
    log: z.string().optional().openapi({ description: "Log text to append to the task log." }),
    steps_completed: z.number().int().min(0).optional().openapi({
      description: "Steps done so far; capped at the task's step total.",
    }),
  })
  .openapi("TaskUpdate", {
    description: "Progress report from the worker running a task. Absent fields leave the task unchanged.",
  });

export const MayKeepRunning = z
  .object({
    mayKeepRunning: z.boolean(),
    reason: z.string().openapi({ description: "Why the worker must stop; empty when it may continue." }),
    statusChangeRequested: z.boolean().openapi({
      description:
        "The worker must stop because a status change awaits it; it should ask for its new " +
        "state. Implies `mayKeepRunning` is false.",
    }),
  })
  .openapi("MayKeepRunning", { description: "Whether the worker may go on with its task." });

// ---- Worker management ----------------------------------------------------------------------

export const WorkerStatusChangeRequest = z
  .object({
    status: WorkerStatus,
    is_lazy: z.boolean().openapi({
      description: "Apply after the current task finishes instead of interrupting it.",
    }),
  })
  .openapi("WorkerStatusChangeRequest", { description: "A status the worker is asked to switch to." });

export const WorkerTag = z
  .object({
    id: uuidOrEmpty().optional().openapi({
      description: "Tag UUID; when creating a tag it may be left out to get a random one.",
    }),
    name: z.string(),
    description: z.string().optional(),
  })
  .openapi("WorkerTag", {
    description: "A group of workers. Jobs may be restricted to one tag; workers may have several.",
  });

export const WorkerTagList = z
  .object({ tags: z.array(WorkerTag) })
  .openapi("WorkerTagList", { description: "All worker tags." });

export const WorkerTagChangeRequest = z
  .object({ tag_ids: z.array(uuid()) })
  .openapi("WorkerTagChangeRequest", { description: "The complete new set of tags of a worker." });

export const WorkerSummary = z
  .object({
    id: uuid(),
    name: z.string(),
    status: ReportedWorkerStatus,
    status_change: WorkerStatusChangeRequest.optional().openapi({
      description: "Pending status request, if any.",
    }),
    last_seen: dateTime().optional().openapi({ description: "Last time the worker contacted the Manager." }),
    version: z.string().openapi({ description: "Version of the worker software." }),
    can_restart: z.boolean(),
  })
  .openapi("WorkerSummary", { description: "The worker fields shown in the worker list." });

export const WorkerList = z
  .object({ workers: z.array(WorkerSummary) })
  .openapi("WorkerList", { description: "All workers." });

export const WorkerTask = TaskSummary.extend({ job_id: uuid() }).openapi("WorkerTask", {
  description: "The task a worker is running or ran last.",
});

export const Worker = WorkerSummary.extend({
  ip_address: z.string().openapi({ description: "Client address of the worker." }),
  platform: z.string().openapi({ description: "Operating system of the worker." }),
  supported_task_types: z.array(z.string()),
  task: WorkerTask.optional(),
  tags: z.array(WorkerTag).optional().openapi({ description: "Tags the worker belongs to." }),
}).openapi("Worker", { description: "Everything known about a worker." });

/** Time of day: `""` for "not set", otherwise H:MM or HH:MM within one day. */
const TIME_OF_DAY_PATTERN = /^$|^([01]?\d|2[0-3]):[0-5]?\d$/;
/** Whitespace-separated day tokens of at least two letters (only the first two count). */
const DAYS_OF_WEEK_PATTERN = /^\s*(\S{2,}(\s+\S{2,})*)?\s*$/;

export const WorkerSleepSchedule = z
  .object({
    is_active: z.boolean(),
    days_of_week: z.string().regex(DAYS_OF_WEEK_PATTERN).openapi({
      description:
        'Days the schedule applies, as space-separated two-letter names ("mo tu we"); empty means every day.',
    }),
    start_time: z.string().regex(TIME_OF_DAY_PATTERN).openapi({
      description: "Time of day the worker goes to sleep (HH:MM, 24-hour); empty means the start of the day.",
      format: "HH:MM",
    }),
    end_time: z.string().regex(TIME_OF_DAY_PATTERN).openapi({
      description: "Time of day the worker wakes up (HH:MM, 24-hour); empty means the end of the day.",
      format: "HH:MM",
    }),
  })
  .openapi("WorkerSleepSchedule", {
    description:
      "Daily window during which a worker is asked to sleep. A window whose end is before its " +
      "start runs across midnight.",
  });
