// The dashboard's REST client for the Manager's /api/v3 endpoints: one function per call,
// errors surfaced as ApiRequestError carrying Flamenco's `{code, message}`. Every request goes
// through `request`, the one place that adds the session's CSRF token and reports a 401.
import type {
  BlocklistEntry,
  FarmStatus,
  Job,
  JobStatus,
  LastRenderedInfo,
  ManagerVersion,
  SleepSchedule,
  Task,
  TaskLogInfo,
  TaskStatus,
  TaskSummary,
  Worker,
  WorkerStatus,
  WorkerSummary,
  WorkerTag,
} from "./types";
import { createStore } from "./store";

/** Recorded as the reason of every status change made from the dashboard. */
export const WEB_REASON = "requested from web interface";

/** Answers that come from whatever stands between the browser and a Manager that is not there. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);
/** The status of an ApiRequestError for a request that got no HTTP answer at all. */
const NO_ANSWER_STATUS = 0;

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The Manager was not reached: its answer says nothing about what it holds. */
  get unreachable(): boolean {
    return this.status === NO_ANSWER_STATUS || GATEWAY_STATUSES.has(this.status);
  }
}

/** True for an error meaning "the Manager did not answer", as opposed to an answer. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ApiRequestError && err.unreachable;
}

/** How many calls to the Manager are running now (the header shows it). */
export const pendingRequests = createStore(0);

const BASE = "/api/v3";
const id = (s: string) => encodeURIComponent(s);
/** Methods the Manager checks the CSRF token on when a request is authenticated by the cookie. */
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let csrfToken: string | undefined;
let onUnauthorized: () => void = () => {};
let onOutcome: (reached: boolean) => void = () => {};

/** The session's CSRF token (none for network trust, which has no cookie to forge). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** What a 401 means to the dashboard: its session ended (expired, revoked, signed out elsewhere). */
export function handleUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/** Whether each call reached the Manager, so the dashboard can tell "unreachable" from "no such thing". */
export function handleOutcome(handler: (reached: boolean) => void): void {
  onOutcome = handler;
}

/**
 * Any call to the Manager, `url` from the origin's root; throws ApiRequestError for a non-2xx,
 * and for no answer at all (status NO_ANSWER_STATUS).
 */
export async function request(method: string, url: string, body?: unknown): Promise<Response> {
  pendingRequests.update((n) => n + 1);
  try {
    return await answered(method, url, body);
  } finally {
    pendingRequests.update((n) => n - 1);
  }
}

async function answered(method: string, url: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (csrfToken && UNSAFE_METHODS.has(method)) headers["x-csrf-token"] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    onOutcome(false);
    throw new ApiRequestError(NO_ANSWER_STATUS, "the Manager is unreachable");
  }
  onOutcome(!GATEWAY_STATUSES.has(res.status));
  if (res.ok) return res;
  let message = `${method} ${url} failed with HTTP ${res.status}`;
  try {
    const err = (await res.json()) as { message?: string };
    if (err.message) message = err.message;
  } catch {
    // A non-JSON error body: the status line is all we have.
  }
  if (res.status === 401) onUnauthorized();
  throw new ApiRequestError(res.status, message);
}

const call = (method: string, path: string, body?: unknown) => request(method, BASE + path, body);

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await call(method, path, body)).json()) as T;
}

/** For endpoints that answer 204 when there is nothing to show. */
async function jsonOrNone<T>(path: string): Promise<T | null> {
  const res = await call("GET", path);
  return res.status === 204 ? null : ((await res.json()) as T);
}

async function send(method: string, path: string, body?: unknown): Promise<void> {
  await call(method, path, body);
}

export const api = {
  version: () => json<ManagerVersion>("GET", "/version"),
  farmStatus: async () => (await json<{ status: FarmStatus }>("GET", "/status")).status,

  jobs: async () => (await json<{ jobs: Job[] }>("GET", "/jobs")).jobs,
  job: (jobId: string) => json<Job>("GET", `/jobs/${id(jobId)}`),
  jobTasks: async (jobId: string) =>
    (await json<{ tasks: TaskSummary[] }>("GET", `/jobs/${id(jobId)}/tasks`)).tasks,
  setJobStatus: (jobId: string, status: JobStatus) =>
    send("POST", `/jobs/${id(jobId)}/setstatus`, { status, reason: WEB_REASON }),
  setJobPriority: (jobId: string, priority: number) =>
    send("POST", `/jobs/${id(jobId)}/setpriority`, { priority }),
  deleteJob: (jobId: string) => send("DELETE", `/jobs/${id(jobId)}`),
  jobBlocklist: (jobId: string) => json<BlocklistEntry[]>("GET", `/jobs/${id(jobId)}/blocklist`),
  removeFromBlocklist: (jobId: string, entries: BlocklistEntry[]) =>
    send("DELETE", `/jobs/${id(jobId)}/blocklist`, entries),
  jobLastRendered: (jobId: string) => jsonOrNone<LastRenderedInfo>(`/jobs/${id(jobId)}/last-rendered`),
  farmLastRendered: () => jsonOrNone<LastRenderedInfo>("/jobs/last-rendered"),

  task: (taskId: string) => json<Task>("GET", `/tasks/${id(taskId)}`),
  taskLogTail: async (taskId: string) => {
    const res = await call("GET", `/tasks/${id(taskId)}/logtail`);
    return res.status === 204 ? "" : await res.text();
  },
  taskLogInfo: (taskId: string) => jsonOrNone<TaskLogInfo>(`/tasks/${id(taskId)}/log`),
  setTaskStatus: (taskId: string, status: TaskStatus) =>
    send("POST", `/tasks/${id(taskId)}/setstatus`, { status, reason: WEB_REASON }),

  workers: async () => (await json<{ workers: WorkerSummary[] }>("GET", "/worker-mgt/workers")).workers,
  worker: (workerId: string) => json<Worker>("GET", `/worker-mgt/workers/${id(workerId)}`),
  requestWorkerStatus: (workerId: string, status: WorkerStatus, isLazy: boolean) =>
    send("POST", `/worker-mgt/workers/${id(workerId)}/setstatus`, { status, is_lazy: isLazy }),
  setWorkerTags: (workerId: string, tagIds: string[]) =>
    send("POST", `/worker-mgt/workers/${id(workerId)}/settags`, { tag_ids: tagIds }),
  deleteWorker: (workerId: string) => send("DELETE", `/worker-mgt/workers/${id(workerId)}`),
  sleepSchedule: (workerId: string) =>
    jsonOrNone<SleepSchedule>(`/worker-mgt/workers/${id(workerId)}/sleep-schedule`),
  setSleepSchedule: (workerId: string, schedule: SleepSchedule) =>
    send("POST", `/worker-mgt/workers/${id(workerId)}/sleep-schedule`, schedule),

  tags: async () => (await json<{ tags: WorkerTag[] }>("GET", "/worker-mgt/tags")).tags,
  createTag: (tag: { name: string; description: string }) => json<WorkerTag>("POST", "/worker-mgt/tags", tag),
  updateTag: (tagId: string, tag: { name: string; description: string }) =>
    send("PUT", `/worker-mgt/tag/${id(tagId)}`, tag),
  deleteTag: (tagId: string) => send("DELETE", `/worker-mgt/tag/${id(tagId)}`),
};
