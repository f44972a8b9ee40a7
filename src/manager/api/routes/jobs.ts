// Route definitions (no handlers) for the `jobs` operations: job types, submission, job and
// task queries, status/priority/tag changes, blocklists, logs, last-rendered info, deletion.
import { createRoute, z } from "@hono/zod-openapi";
import {
  AvailableJobType,
  AvailableJobTypes,
  Job,
  JobBlocklist,
  JobDeletionInfo,
  JobLastRenderedImageInfo,
  JobMassDeletionSelection,
  JobPriorityChange,
  JobStatusChange,
  JobTagChange,
  JobTasksSummary,
  JobsQueryResult,
  SubmittedJob,
  Task,
  TaskLogInfo,
  TaskStatusChange,
  emptyResponse,
  errorResponses,
  jsonResponse,
  uuidPathParam,
} from "../schemas";
import { SUBMISSION_MAX_BODY_BYTES } from "../http";

const tags = ["jobs"];

const jobParams = z.object({ job_id: uuidPathParam("job_id", "UUID of the job.") });
const taskParams = z.object({ task_id: uuidPathParam("task_id", "UUID of the task.") });

const badJobId = { 400: "The job ID is not a UUID." } as const;
const badTaskId = { 400: "The task ID is not a UUID." } as const;
const badRequest = { 400: "The job ID is not a UUID, or the body is invalid." } as const;
const noSuchJob = { 404: "There is no job with this ID." } as const;
const noSuchTask = { 404: "There is no task with this ID." } as const;

// ---- Job types ------------------------------------------------------------------------------

export const getJobTypes = createRoute({
  method: "get",
  path: "/api/v3/jobs/types",
  operationId: "getJobTypes",
  "x-tablao-access": "viewer",
  tags,
  summary: "List the job types this Manager can compile, with their settings",
  responses: {
    200: jsonResponse(AvailableJobTypes, "Job types sorted by name; broken job-type scripts are left out."),
    ...errorResponses({ 500: true }),
  },
});

export const getJobType = createRoute({
  method: "get",
  path: "/api/v3/jobs/type/{typeName}",
  operationId: "getJobType",
  "x-tablao-access": "viewer",
  tags,
  summary: "Describe one job type and its settings",
  request: {
    params: z.object({
      typeName: z
        .string()
        .min(1)
        .openapi({
          param: { name: "typeName", in: "path" },
          description: "Name of the job type.",
        }),
    }),
  },
  responses: {
    200: jsonResponse(AvailableJobType, "The job type."),
    ...errorResponses({
      404: "No job type has this name.",
      422: "The job type's script is broken; the message names its file and line.",
    }),
  },
});

// ---- Submission and listing -----------------------------------------------------------------

const submittedJobBody = {
  required: true,
  content: { "application/json": { schema: SubmittedJob } },
} as const;

const compileErrors = {
  400: "The body is invalid, the job type is unknown, or a setting is missing or not allowed.",
  412: "The job type etag differs from the Manager's; the client should refresh the job type.",
  422: "The job-type script failed or ran too long; the message names the script and line.",
} as const;

export const fetchJobs = createRoute({
  method: "get",
  path: "/api/v3/jobs",
  operationId: "fetchJobs",
  "x-tablao-access": "viewer",
  tags,
  summary: "List all jobs",
  responses: {
    200: jsonResponse(JobsQueryResult, "Every job, including those awaiting deletion."),
    ...errorResponses({ 500: true }),
  },
});

export const submitJob = createRoute({
  method: "post",
  path: "/api/v3/jobs",
  operationId: "submitJob",
  "x-tablao-access": "submitter",
  "x-tablao-max-body-bytes": SUBMISSION_MAX_BODY_BYTES,
  tags,
  summary: "Compile a job into tasks and queue it",
  request: { body: submittedJobBody },
  responses: {
    200: jsonResponse(Job, "The stored job."),
    ...errorResponses({ ...compileErrors, 500: "The job could not be stored." }),
  },
});

export const submitJobCheck = createRoute({
  method: "post",
  path: "/api/v3/jobs/check",
  operationId: "submitJobCheck",
  "x-tablao-access": "submitter",
  "x-tablao-max-body-bytes": SUBMISSION_MAX_BODY_BYTES,
  tags,
  summary: "Compile a job without storing it, to find problems before uploading files",
  request: { body: submittedJobBody },
  responses: {
    204: emptyResponse("The job compiles; nothing was stored."),
    ...errorResponses({ ...compileErrors, 500: true }),
  },
});

export const deleteJobMass = createRoute({
  method: "delete",
  path: "/api/v3/jobs/mass-delete",
  operationId: "deleteJobMass",
  "x-tablao-access": "operator",
  tags,
  summary: "Mark every job not updated since a moment for deletion",
  description:
    "Jobs are only marked here; a background process removes them. The moment is rounded up " +
    "to a whole second, so jobs updated a fraction of a second later may be included.",
  request: {
    body: { required: true, content: { "application/json": { schema: JobMassDeletionSelection } } },
  },
  responses: {
    204: emptyResponse("The selected jobs are marked for deletion."),
    ...errorResponses({
      400: "The body is invalid or lacks `last_updated_max`.",
      416: "No job was last updated at or before the given moment.",
      500: true,
      503: "The database is busy; retry after the `Retry-After` delay.",
    }),
  },
});

export const fetchGlobalLastRenderedInfo = createRoute({
  method: "get",
  path: "/api/v3/jobs/last-rendered",
  operationId: "fetchGlobalLastRenderedInfo",
  "x-tablao-access": "viewer",
  tags,
  summary: "Locate the images most recently rendered on the farm",
  responses: {
    200: jsonResponse(JobLastRenderedImageInfo, "Where the images are served."),
    204: emptyResponse("No job has a last-rendered image."),
    ...errorResponses({ 500: true }),
  },
});

// ---- One job --------------------------------------------------------------------------------

export const fetchJob = createRoute({
  method: "get",
  path: "/api/v3/jobs/{job_id}",
  operationId: "fetchJob",
  "x-tablao-access": "viewer",
  tags,
  summary: "Fetch one job",
  request: { params: jobParams },
  responses: {
    200: jsonResponse(Job, "The job."),
    ...errorResponses({ ...badJobId, ...noSuchJob, 500: true }),
  },
});

export const deleteJob = createRoute({
  method: "delete",
  path: "/api/v3/jobs/{job_id}",
  operationId: "deleteJob",
  "x-tablao-access": "operator",
  tags,
  summary: "Mark a job for deletion with its tasks, logs and images",
  description:
    "The job is removed in the background. Its files on shared storage are only removed when " +
    "they came from a Shaman checkout.",
  request: { params: jobParams },
  responses: {
    204: emptyResponse("The job is marked for deletion."),
    ...errorResponses({
      ...badJobId,
      ...noSuchJob,
      500: true,
      503: "The database is busy; retry after the `Retry-After` delay.",
    }),
  },
});

export const deleteJobWhatWouldItDo = createRoute({
  method: "get",
  path: "/api/v3/jobs/{job_id}/what-would-delete-do",
  operationId: "deleteJobWhatWouldItDo",
  "x-tablao-access": "operator",
  tags,
  summary: "Tell what deleting a job would remove besides the job itself",
  request: { params: jobParams },
  responses: {
    200: jsonResponse(JobDeletionInfo, "What deletion would remove."),
    ...errorResponses({ ...badJobId, ...noSuchJob, 500: true }),
  },
});

export const fetchJobLastRenderedInfo = createRoute({
  method: "get",
  path: "/api/v3/jobs/{job_id}/last-rendered",
  operationId: "fetchJobLastRenderedInfo",
  "x-tablao-access": "viewer",
  tags,
  summary: "Locate the images most recently rendered for a job",
  request: { params: jobParams },
  responses: {
    200: jsonResponse(JobLastRenderedImageInfo, "Where the images are served."),
    204: emptyResponse("The job has no last-rendered image."),
    ...errorResponses({ ...badJobId }),
  },
});

export const setJobStatus = createRoute({
  method: "post",
  path: "/api/v3/jobs/{job_id}/setstatus",
  operationId: "setJobStatus",
  "x-tablao-access": "operator",
  tags,
  summary: "Change a job's status, with the cascade onto its tasks",
  request: {
    params: jobParams,
    body: { required: true, content: { "application/json": { schema: JobStatusChange } } },
  },
  responses: {
    204: emptyResponse("The status change was applied."),
    ...errorResponses({ ...badRequest, ...noSuchJob, 500: true }),
  },
});

export const setJobPriority = createRoute({
  method: "post",
  path: "/api/v3/jobs/{job_id}/setpriority",
  operationId: "setJobPriority",
  "x-tablao-access": "operator",
  tags,
  summary: "Change a job's priority",
  request: {
    params: jobParams,
    body: { required: true, content: { "application/json": { schema: JobPriorityChange } } },
  },
  responses: {
    204: emptyResponse("The new priority is stored."),
    ...errorResponses({
      400: "The job ID is not a UUID, or the priority is not an integer from 0 to 100.",
      ...noSuchJob,
      500: true,
    }),
  },
});

export const setJobTag = createRoute({
  method: "post",
  path: "/api/v3/jobs/{job_id}/settag",
  operationId: "setJobTag",
  "x-tablao-access": "operator",
  tags,
  summary: "Restrict a job to a worker tag, or lift the restriction",
  request: {
    params: jobParams,
    body: { required: true, content: { "application/json": { schema: JobTagChange } } },
  },
  responses: {
    204: emptyResponse("The job's tag is updated."),
    ...errorResponses({ ...badRequest, ...noSuchJob, 406: "No tag has the given UUID or name.", 500: true }),
  },
});

export const fetchJobTasks = createRoute({
  method: "get",
  path: "/api/v3/jobs/{job_id}/tasks",
  operationId: "fetchJobTasks",
  "x-tablao-access": "viewer",
  tags,
  summary: "List the tasks of a job in summary form",
  request: { params: jobParams },
  responses: {
    200: jsonResponse(JobTasksSummary, "The job's tasks in job order; empty for an unknown job."),
    ...errorResponses({ ...badJobId, 500: true }),
  },
});

export const fetchJobBlocklist = createRoute({
  method: "get",
  path: "/api/v3/jobs/{job_id}/blocklist",
  operationId: "fetchJobBlocklist",
  "x-tablao-access": "viewer",
  tags,
  summary: "List the workers barred from task types of a job",
  request: { params: jobParams },
  responses: {
    200: jsonResponse(JobBlocklist, "Entries sorted by worker name; empty for an unknown job."),
    ...errorResponses({ ...badJobId, 500: true }),
  },
});

export const removeJobBlocklist = createRoute({
  method: "delete",
  path: "/api/v3/jobs/{job_id}/blocklist",
  operationId: "removeJobBlocklist",
  "x-tablao-access": "operator",
  tags,
  summary: "Lift blocklist entries of a job",
  request: {
    params: jobParams,
    body: { required: true, content: { "application/json": { schema: JobBlocklist } } },
  },
  responses: {
    204: emptyResponse("The entries are gone (entries that did not exist are ignored)."),
    ...errorResponses({
      400: "The job ID is not a UUID, or the body is not a non-empty list of entries.",
      500: true,
    }),
  },
});

// ---- Tasks ----------------------------------------------------------------------------------

export const fetchTask = createRoute({
  method: "get",
  path: "/api/v3/tasks/{task_id}",
  operationId: "fetchTask",
  "x-tablao-access": "viewer",
  tags,
  summary: "Fetch one task",
  request: { params: taskParams },
  responses: {
    200: jsonResponse(Task, "The task."),
    ...errorResponses({ ...badTaskId, ...noSuchTask, 500: true }),
  },
});

export const fetchTaskLogTail = createRoute({
  method: "get",
  path: "/api/v3/tasks/{task_id}/logtail",
  operationId: "fetchTaskLogTail",
  "x-tablao-access": "viewer",
  tags,
  summary: "Fetch the last part of a task's log",
  request: { params: taskParams },
  responses: {
    200: {
      description: "The end of the log (at most 2 KiB, starting at a line boundary when possible).",
      content: { "text/plain": { schema: z.string() } },
    },
    204: emptyResponse("The task has no log yet."),
    ...errorResponses({ ...badTaskId, ...noSuchTask, 500: true }),
  },
});

export const fetchTaskLogInfo = createRoute({
  method: "get",
  path: "/api/v3/tasks/{task_id}/log",
  operationId: "fetchTaskLogInfo",
  "x-tablao-access": "viewer",
  tags,
  summary: "Locate a task's full log",
  request: { params: taskParams },
  responses: {
    200: jsonResponse(TaskLogInfo, "Where the log is served, and its size."),
    204: emptyResponse("The task has no log yet."),
    ...errorResponses({ ...badTaskId, ...noSuchTask, 500: true }),
  },
});

export const setTaskStatus = createRoute({
  method: "post",
  path: "/api/v3/tasks/{task_id}/setstatus",
  operationId: "setTaskStatus",
  "x-tablao-access": "operator",
  tags,
  summary: "Change a task's status by hand, with the effect on its job",
  description: "For people managing tasks; workers report through `taskUpdate` instead.",
  request: {
    params: taskParams,
    body: { required: true, content: { "application/json": { schema: TaskStatusChange } } },
  },
  responses: {
    204: emptyResponse("The status change was applied."),
    ...errorResponses({
      400: "The task ID is not a UUID, or the body is invalid.",
      ...noSuchTask,
      500: true,
    }),
  },
});
