// Wire schemas for job types, job submission, jobs, tasks and their management requests.
import { z } from "@hono/zod-openapi";
import { JOB_STATUSES, TASK_STATUSES } from "../../../shared/statuses";
import {
  JOB_METADATA_MAX_BYTES,
  JOB_NAME_MAX_CHARS,
  JOB_SETTINGS_MAX_BYTES,
  JOB_TYPE_NAME_MAX_CHARS,
  SUBMITTED_JOB_MAX_BYTES,
  WORKER_TAG_NAME_MAX_CHARS,
  describeBytes,
  tooLongMessage,
} from "../../jobs/limits";
import { dateTime, uuid, uuidOrEmpty } from "./common";

export const JobStatus = z
  .enum(JOB_STATUSES)
  .openapi("JobStatus", { description: "Lifecycle status of a job." });

export const TaskStatus = z
  .enum(TASK_STATUSES)
  .openapi("TaskStatus", { description: "Lifecycle status of a task." });

export const Command = z
  .object({
    name: z.string().openapi({ description: "Name of the worker command to run." }),
    parameters: z.record(z.string(), z.unknown()).openapi({ description: "Command arguments." }),
    total_step_count: z
      .number()
      .int()
      .openapi({
        description:
          "How many progress steps the command reports. Zero means it reports none, and the " +
          "worker counts the whole command as one step when it finishes.",
      }),
  })
  .openapi("Command", { description: "One command of a task, executed by the worker." });

// ---- Job types ------------------------------------------------------------------------------

export const AvailableJobSettingType = z
  .enum(["string", "int32", "float", "bool"])
  .openapi("AvailableJobSettingType", {
    description: "Value type of a job setting; scalar types only, usable as Blender properties.",
  });

export const AvailableJobSettingSubtype = z
  .enum(["file_path", "dir_path", "file_name", "hashed_file_path"])
  .openapi("AvailableJobSettingSubtype", {
    description:
      "Refinement of a string setting. `hashed_file_path` is a directory path followed by a " +
      "`######` frame-number placeholder.",
  });

export const AvailableJobSettingVisibility = z
  .enum(["visible", "hidden", "submission", "web"])
  .openapi("AvailableJobSettingVisibility", {
    description:
      "Where a setting is shown: everywhere (`visible`), only when submitting (`submission`), " +
      "only in the web interface (`web`), or nowhere (`hidden`, for the job script's own use).",
    default: "visible",
  });

export const AvailableJobSetting = z
  .object({
    key: z.string().openapi({ description: "Setting identifier, unique within its job type." }),
    type: AvailableJobSettingType,
    subtype: AvailableJobSettingSubtype.optional(),
    choices: z.array(z.string()).optional().openapi({
      description: "Allowed values of a string setting; any value is allowed when absent.",
    }),
    propargs: z.record(z.string(), z.unknown()).optional().openapi({
      description: "Extra keyword arguments for the Blender property that represents this setting.",
    }),
    description: z.unknown().optional().openapi({ description: "Tooltip shown to users." }),
    label: z.unknown().optional().openapi({
      description: "Display label; derived from the key when absent.",
    }),
    default: z.unknown().optional().openapi({ description: "Value proposed to the user." }),
    eval: z.string().optional().openapi({
      description: "Python expression the submitter evaluates to compute the value.",
    }),
    evalInfo: z
      .object({
        showLinkButton: z.boolean().openapi({
          description:
            "Offer a toggle in the submitter that makes `eval` decide the value instead of " +
            "manual input.",
          default: false,
        }),
        description: z.string().openapi({
          description: "What the expression computes; shown in place of the input while the toggle is on.",
          default: "",
        }),
      })
      .optional()
      .openapi({ description: "How the submitter presents `eval`." }),
    visible: AvailableJobSettingVisibility.optional(),
    required: z.boolean().optional().openapi({
      description: "Whether a job of this type must provide this setting.",
      default: false,
    }),
    editable: z.boolean().optional().openapi({
      description: "Whether the setting may be changed after submission.",
      default: false,
    }),
  })
  .openapi("AvailableJobSetting", { description: "One setting of a job type." });

export const AvailableJobType = z
  .object({
    name: z.string(),
    label: z.string(),
    description: z.string().optional().openapi({ description: "Tooltip shown to users." }),
    settings: z.array(AvailableJobSetting),
    etag: z.string().openapi({
      description:
        "Hash over the job type's definition. Submissions that quote a different etag are " +
        "refused, so clients with an outdated definition notice it.",
    }),
  })
  .openapi("AvailableJobType", { description: "A job type this Manager can compile, with its settings." });

export const AvailableJobTypes = z
  .object({ job_types: z.array(AvailableJobType) })
  .openapi("AvailableJobTypes", { description: "All job types this Manager can compile." });

// ---- Jobs -----------------------------------------------------------------------------------

export const JobSettings = z.record(z.string(), z.unknown()).openapi("JobSettings", {
  description: `Values of the job type's settings, by key; at most ${describeBytes(JOB_SETTINGS_MAX_BYTES)} as JSON.`,
});

export const JobMetadata = z.record(z.string(), z.string()).openapi("JobMetadata", {
  description:
    "Free-form string metadata; nested data is expressed with dotted keys like `user.name`. At " +
    `most ${describeBytes(JOB_METADATA_MAX_BYTES)} as JSON.`,
});

/** A string of at most `maxChars` characters, refused with a message naming the limit. */
const boundedString = (maxChars: number) => z.string().max(maxChars, { message: tooLongMessage(maxChars) });

export const JobStorageInfo = z
  .object({
    shaman_checkout_id: z.string().optional().openapi({
      description: "Shaman checkout the job's files live in; removed together with the job.",
    }),
  })
  .openapi("JobStorageInfo", { description: "Where the job's files are, so they can be cleaned up." });

export const SubmittedJob = z
  .object({
    name: boundedString(JOB_NAME_MAX_CHARS),
    type: boundedString(JOB_TYPE_NAME_MAX_CHARS).openapi({ description: "Name of the job type." }),
    type_etag: z
      .string()
      .optional()
      .openapi({
        description:
          "The job type's etag as the client knows it. A mismatch with the Manager's etag " +
          "refuses the job (412); when absent, no check is made.",
      }),
    priority: z.number().int().default(50).openapi({ description: "Higher runs first." }),
    settings: JobSettings.optional(),
    metadata: JobMetadata.optional(),
    submitter_platform: z.string().openapi({
      description:
        "Lower-case operating system name of the submitter (Go naming: `linux`, `windows`, " +
        "`darwin`, ...), used to recognise two-way variables. `manager` means the Manager's own platform.",
    }),
    storage: JobStorageInfo.optional(),
    worker_tag: uuidOrEmpty().optional().openapi({
      description: "Restrict the job to workers with this tag; empty or absent means any worker.",
    }),
    initial_status: JobStatus.optional().openapi({
      description: "Status to store the job with; `queued` when absent.",
    }),
  })
  .openapi("SubmittedJob", {
    description: `A job as sent by a submitter; at most ${describeBytes(SUBMITTED_JOB_MAX_BYTES)} as JSON.`,
  });

export const Job = SubmittedJob.extend({
  id: uuid(),
  created: dateTime(),
  updated: dateTime(),
  status: JobStatus,
  activity: z.string().openapi({ description: "What last happened to the job." }),
  steps_completed: z.number().int(),
  steps_total: z.number().int(),
  delete_requested_at: dateTime().optional().openapi({
    description: "When deletion was requested; the job is removed in the background.",
  }),
}).openapi("Job", { description: "A stored job." });

export const JobsQuery = z
  .object({
    offset: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).optional(),
    order_by: z.array(z.string()).optional(),
    status_in: z.array(JobStatus).optional().openapi({ description: "Only jobs in one of these statuses." }),
    metadata: z.record(z.string(), z.string()).optional().openapi({
      description: "Metadata filters as SQL `LIKE` patterns.",
    }),
    settings: z.record(z.string(), z.unknown()).optional().openapi({
      description: "Setting filters as SQL `LIKE` patterns.",
    }),
  })
  .openapi("JobsQuery", { description: "Filter, order and paging for job listings (no route uses it)." });

export const JobsQueryResult = z
  .object({ jobs: z.array(Job) })
  .openapi("JobsQueryResult", { description: "A list of jobs." });

export const JobDeletionInfo = z
  .object({
    shaman_checkout: z.boolean().openapi({
      description: "Whether deleting the job also removes its Shaman checkout directory.",
    }),
  })
  .openapi("JobDeletionInfo", { description: "What deleting a job would remove besides the job itself." });

export const JobMassDeletionSelection = z
  .object({
    last_updated_max: dateTime().openapi({
      description:
        "Jobs last updated at or before this moment are marked for deletion. The moment is " +
        "rounded up to a whole second first.",
    }),
  })
  .openapi("JobMassDeletionSelection", { description: "Which jobs to mark for deletion." });

export const JobStatusChange = z
  .object({
    status: JobStatus,
    reason: z.string().openapi({ description: "Why the status is being changed." }),
  })
  .openapi("JobStatusChange", { description: "Request to change a job's status." });

export const JobPriorityChange = z
  .object({ priority: z.number().int().min(0).max(100) })
  .openapi("JobPriorityChange", { description: "Request to change a job's priority." });

export const JobTagChange = z
  .object({
    id: uuid().optional().openapi({ description: "UUID of the new tag; takes precedence over `name`." }),
    name: boundedString(WORKER_TAG_NAME_MAX_CHARS)
      .optional()
      .openapi({ description: "Name of the new tag." }),
  })
  .openapi("JobTagChange", {
    description: "New worker tag for a job, by UUID or name. An empty object removes the tag.",
  });

// ---- Tasks ----------------------------------------------------------------------------------

export const TaskWorker = z
  .object({
    id: uuidOrEmpty().openapi({ description: "Worker UUID; empty when no worker is assigned." }),
    name: z.string(),
    address: z.string(),
  })
  .openapi("TaskWorker", { description: "Reference to a worker from a task." });

export const TaskSummary = z
  .object({
    id: uuid(),
    name: z.string(),
    status: TaskStatus,
    index_in_job: z.number().int().openapi({ description: "1-based position of the task in its job." }),
    priority: z.number().int(),
    task_type: z.string(),
    updated: dateTime(),
    worker: TaskWorker.optional(),
    steps_completed: z.number().int(),
    steps_total: z.number().int(),
    activity: z.string().optional().openapi({ description: "What the task is doing (a Tablao addition)." }),
  })
  .openapi("TaskSummary", { description: "The task fields shown in a job's task list." });

export const JobTasksSummary = z
  .object({ tasks: z.array(TaskSummary) })
  .openapi("JobTasksSummary", { description: "Every task of a job, in summary form." });

export const Task = z
  .object({
    id: uuid(),
    created: dateTime(),
    updated: dateTime(),
    job_id: uuid(),
    index_in_job: z.number().int(),
    name: z.string(),
    status: TaskStatus,
    priority: z.number().int(),
    task_type: z.string(),
    activity: z.string(),
    commands: z.array(Command).nullable().openapi({
      description: "Commands as authored, before variable expansion.",
    }),
    steps_completed: z.number().int(),
    steps_total: z.number().int(),
    worker: TaskWorker.optional(),
    last_touched: dateTime().optional().openapi({ description: "Last time a worker reported on the task." }),
    failed_by_workers: z.array(TaskWorker).optional().openapi({
      description: "Workers that failed this task.",
    }),
  })
  .openapi("Task", { description: "A task as stored, before variables are expanded." });

export const TaskStatusChange = z
  .object({
    status: TaskStatus,
    reason: z
      .string()
      .openapi({ description: "Why the status is being changed; becomes the task's activity." }),
  })
  .openapi("TaskStatusChange", { description: "Request to change a task's status." });

export const TaskLogInfo = z
  .object({
    task_id: uuid(),
    job_id: uuid(),
    url: z.string().openapi({ description: "Host-relative URL of the full log file." }),
    size: z.number().int().openapi({ description: "Log size in bytes." }),
  })
  .openapi("TaskLogInfo", { description: "Where a task's log can be downloaded, and its size." });

export const JobLastRenderedImageInfo = z
  .object({
    base: z.string().openapi({ description: "Host-relative URL prefix of the images." }),
    suffixes: z.array(z.string()).openapi({
      description: "Image file names, largest first; the URL of one is `{base}/{suffix}`.",
    }),
  })
  .openapi("JobLastRenderedImageInfo", {
    description: "Where the last-rendered images of a job are served.",
  });

export const JobBlocklistEntry = z
  .object({
    worker_id: uuid(),
    task_type: z.string(),
    worker_name: z.string().optional(),
  })
  .openapi("JobBlocklistEntry", { description: "A worker barred from one task type of a job." });

export const JobBlocklist = z
  .array(JobBlocklistEntry)
  .openapi("JobBlocklist", { description: "Workers barred from task types of a job." });
