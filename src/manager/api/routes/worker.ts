// Route definitions (no handlers) for the `worker` operations a Worker program calls:
// registration, sign-on/off, status handshakes, task polling, task updates, previews.
// Also the `worker_auth` security scheme those operations require.
import { createRoute, z } from "@hono/zod-openapi";
import {
  AssignedTask,
  MayKeepRunning,
  RegisteredWorker,
  TaskUpdate,
  WorkerRegistration,
  WorkerSignOn,
  WorkerStateChange,
  WorkerStateChanged,
  emptyResponse,
  errorResponses,
  jsonResponse,
  uuidPathParam,
} from "../schemas";
import { MAX_REQUEST_BODY_BYTES, TASK_UPDATE_MAX_BODY_BYTES } from "../http";
import { LONG_POLL_MAX_WAIT_MS } from "../../scheduler/long-poll";
import { LONG_POLL_HEADER } from "../../../shared/long-poll";
/** Largest `wait` accepted; longer asks are refused rather than silently shortened this much. */
const LONG_POLL_WAIT_MAX_SECONDS = 3_600;

export const WORKER_AUTH_SCHEME_NAME = "worker_auth";

/** HTTP basic auth: the worker's UUID as username, its registration secret as password. */
export const workerAuthScheme = {
  type: "http",
  scheme: "basic",
  description: "Username is the worker UUID, password the secret the worker registered with.",
} as const;

const tags = ["worker"];
const security = [{ [WORKER_AUTH_SCHEME_NAME]: [] }];

const authFailed = { 403: "The worker credentials are missing, unknown or wrong." } as const;
const taskParams = z.object({ task_id: uuidPathParam("task_id", "UUID of the task.") });

export const registerWorker = createRoute({
  method: "post",
  path: "/api/v3/worker/register-worker",
  operationId: "registerWorker",
  "x-tablao-access": "public",
  tags,
  summary: "Register a new worker and get its UUID",
  request: {
    body: { required: true, content: { "application/json": { schema: WorkerRegistration } } },
  },
  responses: {
    200: jsonResponse(
      RegisteredWorker,
      "The worker is registered; it can now sign on with its UUID and secret.",
    ),
    ...errorResponses({
      400: "The body is invalid (for example a secret longer than 72 bytes).",
      500: true,
      503: "The database is busy; retry after the `Retry-After` delay.",
    }),
  },
});

export const signOn = createRoute({
  method: "post",
  path: "/api/v3/worker/sign-on",
  operationId: "signOn",
  "x-tablao-access": "worker",
  tags,
  security,
  summary: "Announce a starting worker and learn which status to enter",
  request: {
    body: { required: true, content: { "application/json": { schema: WorkerSignOn } } },
  },
  responses: {
    200: jsonResponse(WorkerStateChange, "The status the worker should enter first."),
    ...errorResponses({ 400: "The body is invalid.", ...authFailed, 500: true }),
  },
});

export const signOff = createRoute({
  method: "post",
  path: "/api/v3/worker/sign-off",
  operationId: "signOff",
  "x-tablao-access": "worker",
  tags,
  security,
  summary: "Announce that a worker goes offline; its running tasks are requeued",
  responses: {
    204: emptyResponse("The worker is offline."),
    ...errorResponses({ ...authFailed, 500: true }),
  },
});

export const workerState = createRoute({
  method: "get",
  path: "/api/v3/worker/state",
  operationId: "workerState",
  "x-tablao-access": "worker",
  tags,
  security,
  summary: "Ask whether a status change awaits the worker",
  responses: {
    200: jsonResponse(WorkerStateChange, "The status the worker should switch to."),
    204: emptyResponse("No status change is pending."),
    ...errorResponses({ ...authFailed, 500: true }),
  },
});

export const workerStateChanged = createRoute({
  method: "post",
  path: "/api/v3/worker/state-changed",
  operationId: "workerStateChanged",
  "x-tablao-access": "worker",
  tags,
  security,
  summary: "Report the status a worker has entered",
  description: "Acknowledges a requested change, or reports a change the worker made on its own.",
  request: {
    body: { required: true, content: { "application/json": { schema: WorkerStateChanged } } },
  },
  responses: {
    204: emptyResponse("The new status is recorded."),
    ...errorResponses({ 400: "The body is invalid.", ...authFailed }),
  },
});

export const scheduleTask = createRoute({
  method: "post",
  path: "/api/v3/worker/task",
  operationId: "scheduleTask",
  "x-tablao-access": "worker",
  tags,
  security,
  summary: "Ask for a task to run",
  description:
    "Tablao's extension: with `wait`, a worker for which there is no task is held until one " +
    "appears for it, a status change is requested for it, or the wait ends. Without `wait` the " +
    "answer comes at once, as from Flamenco.",
  request: {
    query: z.object({
      wait: z.coerce
        .number()
        .min(0)
        .max(LONG_POLL_WAIT_MAX_SECONDS)
        .optional()
        .openapi({
          description:
            "Seconds to hold the request while there is no task (long-poll). The Manager may hold " +
            `it for less: at most ${LONG_POLL_MAX_WAIT_MS / 1000} s and half of \`worker_timeout\`.`,
        }),
    }),
  },
  responses: {
    200: jsonResponse(AssignedTask, "The task to run."),
    204: {
      description: "No task is available for this worker.",
      headers: z.object({
        [LONG_POLL_HEADER]: z
          .string()
          .optional()
          .openapi({
            description:
              "Sent when `wait` was given: the milliseconds the Manager was prepared to hold the " +
              "request. Above 0 the worker may ask again at once; 0 (too many waiting) or absent " +
              "(a Manager without the extension) means poll as usual.",
          }),
      }),
    },
    ...errorResponses({
      ...authFailed,
      409: "The worker is not `awake`, so it may not run tasks.",
      500: true,
      503: "The database is busy, or the Manager is shutting down; retry after the `Retry-After` delay.",
    }),
    423: jsonResponse(WorkerStateChange, "The worker must first switch to the given status."),
  },
});

export const taskUpdate = createRoute({
  method: "post",
  path: "/api/v3/worker/task/{task_id}",
  operationId: "taskUpdate",
  "x-tablao-access": "worker",
  "x-tablao-max-body-bytes": TASK_UPDATE_MAX_BODY_BYTES,
  tags,
  security,
  summary: "Report progress, log output or a new status of a task",
  request: {
    params: taskParams,
    body: { required: true, content: { "application/json": { schema: TaskUpdate } } },
  },
  responses: {
    204: emptyResponse("The update was applied."),
    ...errorResponses({
      400: "The task ID is not a UUID, the body is invalid, or it reports `soft-failed`.",
      ...authFailed,
      404: "There is no task with this ID.",
      409: "The task is not assigned to this worker; it should stop reporting on it.",
      500: true,
    }),
  },
});

export const mayWorkerRun = createRoute({
  method: "get",
  path: "/api/v3/worker/task/{task_id}/may-i-run",
  operationId: "mayWorkerRun",
  "x-tablao-access": "worker",
  tags,
  security,
  summary: "Ask whether the worker may keep running a task",
  request: { params: taskParams },
  responses: {
    200: jsonResponse(MayKeepRunning, "The verdict, including whether a status change awaits the worker."),
    ...errorResponses({ 400: "The task ID is not a UUID.", ...authFailed, 500: true }),
  },
});

const imageBody = z.string().openapi({ format: "binary" });

export const taskOutputProduced = createRoute({
  method: "post",
  path: "/api/v3/worker/task/{task_id}/output-produced",
  operationId: "taskOutputProduced",
  "x-tablao-access": "worker",
  // The handler refuses images over its own, lower limit by their Content-Length (413).
  "x-tablao-max-body-bytes": MAX_REQUEST_BODY_BYTES,
  tags,
  security,
  summary: "Upload the image a task rendered last, for previews",
  description:
    "Only JPEG and PNG are accepted. Images arriving faster than they can be processed are refused.",
  request: {
    params: taskParams,
    body: {
      required: true,
      content: { "image/jpeg": { schema: imageBody }, "image/png": { schema: imageBody } },
    },
  },
  responses: {
    202: emptyResponse("The image was queued for processing."),
    ...errorResponses({
      400: "The task ID is not a UUID, or the body is empty.",
      ...authFailed,
      404: "There is no task with this ID.",
      411: "The request lacks a Content-Length.",
      413: "The image is larger than the Manager accepts.",
      415: "The image is neither JPEG nor PNG.",
      429: "Too many images are waiting to be processed; this one is dropped.",
      500: true,
    }),
  },
});
