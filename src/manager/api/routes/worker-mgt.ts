// Route definitions (no handlers) for the `worker-mgt` operations the web interface uses:
// worker listing and deletion, status requests, tag membership, sleep schedules, tags.
import { createRoute, z } from "@hono/zod-openapi";
import {
  Worker,
  WorkerList,
  WorkerSleepSchedule,
  WorkerStatusChangeRequest,
  WorkerTag,
  WorkerTagChangeRequest,
  WorkerTagList,
  emptyResponse,
  errorResponses,
  jsonResponse,
  uuidPathParam,
} from "../schemas";

const tags = ["worker-mgt"];

const workerParams = z.object({ worker_id: uuidPathParam("worker_id", "UUID of the worker.") });
const tagParams = z.object({ tag_id: uuidPathParam("tag_id", "UUID of the worker tag.") });

const badWorkerId = { 400: "The worker ID is not a UUID." } as const;
const badWorkerRequest = { 400: "The worker ID is not a UUID, or the body is invalid." } as const;
const noSuchWorker = { 404: "There is no worker with this ID." } as const;
const badTagId = { 400: "The tag ID is not a UUID." } as const;
const noSuchTag = { 404: "There is no worker tag with this ID." } as const;
const duplicateTag = { 409: "Another tag already has this name or ID." } as const;

export const fetchWorkers = createRoute({
  method: "get",
  path: "/api/v3/worker-mgt/workers",
  operationId: "fetchWorkers",
  "x-tablao-access": "viewer",
  tags,
  summary: "List all workers",
  responses: {
    200: jsonResponse(WorkerList, "Every worker that has not been deleted."),
    ...errorResponses({ 500: true }),
  },
});

export const fetchWorker = createRoute({
  method: "get",
  path: "/api/v3/worker-mgt/workers/{worker_id}",
  operationId: "fetchWorker",
  "x-tablao-access": "viewer",
  tags,
  summary: "Fetch one worker with its tags and current or last task",
  request: { params: workerParams },
  responses: {
    200: jsonResponse(Worker, "The worker."),
    ...errorResponses({ ...badWorkerId, ...noSuchWorker, 500: true }),
  },
});

export const deleteWorker = createRoute({
  method: "delete",
  path: "/api/v3/worker-mgt/workers/{worker_id}",
  operationId: "deleteWorker",
  "x-tablao-access": "admin",
  tags,
  summary: "Delete a worker; its running tasks are requeued",
  description: "Best done while the worker is offline; a running worker loses its credentials.",
  request: { params: workerParams },
  responses: {
    204: emptyResponse("The worker is deleted."),
    ...errorResponses({ ...badWorkerId, ...noSuchWorker, 500: true }),
  },
});

export const requestWorkerStatusChange = createRoute({
  method: "post",
  path: "/api/v3/worker-mgt/workers/{worker_id}/setstatus",
  operationId: "requestWorkerStatusChange",
  "x-tablao-access": "operator",
  tags,
  summary: "Ask a worker to switch status; asking for its current status cancels a pending request",
  request: {
    params: workerParams,
    body: { required: true, content: { "application/json": { schema: WorkerStatusChangeRequest } } },
  },
  responses: {
    204: emptyResponse("The request is stored and will reach the worker."),
    ...errorResponses({
      ...badWorkerRequest,
      ...noSuchWorker,
      412: "A restart was requested but the worker cannot restart itself.",
      500: true,
    }),
  },
});

export const setWorkerTags = createRoute({
  method: "post",
  path: "/api/v3/worker-mgt/workers/{worker_id}/settags",
  operationId: "setWorkerTags",
  "x-tablao-access": "operator",
  tags,
  summary: "Replace the set of tags a worker belongs to",
  request: {
    params: workerParams,
    body: { required: true, content: { "application/json": { schema: WorkerTagChangeRequest } } },
  },
  responses: {
    204: emptyResponse("The worker's tags are replaced; unknown tag IDs are ignored."),
    ...errorResponses({ ...badWorkerRequest, ...noSuchWorker, 500: true }),
  },
});

export const fetchWorkerSleepSchedule = createRoute({
  method: "get",
  path: "/api/v3/worker-mgt/workers/{worker_id}/sleep-schedule",
  operationId: "fetchWorkerSleepSchedule",
  "x-tablao-access": "viewer",
  tags,
  summary: "Fetch a worker's sleep schedule",
  request: { params: workerParams },
  responses: {
    200: jsonResponse(WorkerSleepSchedule, "The schedule."),
    204: emptyResponse("The worker has no sleep schedule."),
    ...errorResponses({ ...badWorkerId, 404: "There is no worker with this ID.", 500: true }),
  },
});

export const setWorkerSleepSchedule = createRoute({
  method: "post",
  path: "/api/v3/worker-mgt/workers/{worker_id}/sleep-schedule",
  operationId: "setWorkerSleepSchedule",
  "x-tablao-access": "operator",
  tags,
  summary: "Store a worker's sleep schedule and apply it right away",
  request: {
    params: workerParams,
    body: { required: true, content: { "application/json": { schema: WorkerSleepSchedule } } },
  },
  responses: {
    204: emptyResponse("The schedule is stored."),
    ...errorResponses({
      400: "The worker ID is not a UUID, or the schedule has a malformed time or day.",
      ...noSuchWorker,
      500: true,
    }),
  },
});

export const fetchWorkerTags = createRoute({
  method: "get",
  path: "/api/v3/worker-mgt/tags",
  operationId: "fetchWorkerTags",
  "x-tablao-access": "viewer",
  tags,
  summary: "List all worker tags",
  responses: {
    200: jsonResponse(WorkerTagList, "Every tag."),
    ...errorResponses({ 500: true }),
  },
});

export const createWorkerTag = createRoute({
  method: "post",
  path: "/api/v3/worker-mgt/tags",
  operationId: "createWorkerTag",
  "x-tablao-access": "operator",
  tags,
  summary: "Create a worker tag",
  request: {
    body: { required: true, content: { "application/json": { schema: WorkerTag } } },
  },
  responses: {
    200: jsonResponse(WorkerTag, "The created tag, including its UUID."),
    ...errorResponses({ 400: "The body is invalid.", ...duplicateTag, 500: true }),
  },
});

export const fetchWorkerTag = createRoute({
  method: "get",
  path: "/api/v3/worker-mgt/tag/{tag_id}",
  operationId: "fetchWorkerTag",
  "x-tablao-access": "viewer",
  tags,
  summary: "Fetch one worker tag",
  request: { params: tagParams },
  responses: {
    200: jsonResponse(WorkerTag, "The tag."),
    ...errorResponses({ ...badTagId, ...noSuchTag, 500: true }),
  },
});

export const updateWorkerTag = createRoute({
  method: "put",
  path: "/api/v3/worker-mgt/tag/{tag_id}",
  operationId: "updateWorkerTag",
  "x-tablao-access": "operator",
  tags,
  summary: "Rename a worker tag or change its description",
  description:
    "The name is always replaced; the description only when given. An `id` in the body is ignored.",
  request: {
    params: tagParams,
    body: { required: true, content: { "application/json": { schema: WorkerTag } } },
  },
  responses: {
    204: emptyResponse("The tag is updated."),
    ...errorResponses({
      400: "The tag ID is not a UUID, or the body is invalid.",
      ...noSuchTag,
      ...duplicateTag,
      500: true,
    }),
  },
});

export const deleteWorkerTag = createRoute({
  method: "delete",
  path: "/api/v3/worker-mgt/tag/{tag_id}",
  operationId: "deleteWorkerTag",
  "x-tablao-access": "operator",
  tags,
  summary: "Delete a worker tag; its workers lose it and its jobs become open to all workers",
  request: { params: tagParams },
  responses: {
    204: emptyResponse("The tag is deleted."),
    ...errorResponses({ ...badTagId, ...noSuchTag, 500: true }),
  },
});
