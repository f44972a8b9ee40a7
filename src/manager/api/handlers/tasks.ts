// Handlers of task execution: polling for a task, task updates, may-i-run, preview uploads,
// task-log and last-rendered lookups, and the `/job-files/` static files they point to.
import type { Context } from "hono";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import type { Clock } from "../../../shared/clock";
import type { Db } from "../../db/connection";
import { taskWithJobByUUID } from "../../db/queries/tasks";
import { ApiError, notFound } from "../../errors";
import type { LongPoll, LongPollOutcome } from "../../scheduler/long-poll";
import type { Scheduler } from "../../scheduler/scheduler";
import { LONG_POLL_HEADER } from "../../../shared/long-poll";
import { JOB_FILES_URL_PREFIX, type StorageLayout } from "../../storage/layout";
import {
  LAST_RENDERED_MAX_BYTES,
  LAST_RENDERED_MIME_TYPES,
  type LastRendered,
} from "../../storage/last-rendered";
import type { TaskLogStore } from "../../storage/task-logs";
import type { MayIRun } from "../../tasks/may-i-run";
import type { TaskUpdates } from "../../tasks/updates";
import { markSeen } from "../../farm/seen";
import { declareRoute, errorResponse, type ApiApp, type ApiEnv } from "../http";
import type { Handlers } from "./registry";
import { isDatabaseBusy } from "../../db/errors";

/** Sent with a 503 so a polling worker retries soon instead of backing off. */
export const SCHEDULER_BUSY_RETRY_AFTER_SECONDS = 1;

export interface TaskHandlerDeps {
  db: Db;
  clock: Clock;
  scheduler: Scheduler;
  /** Serves `wait` on scheduleTask; without it the parameter is ignored, as by Flamenco. */
  longPoll?: Pick<LongPoll, "scheduleOrWait">;
  taskUpdates: TaskUpdates;
  mayIRun: MayIRun;
  taskLogs: TaskLogStore;
  lastRendered: LastRendered;
}

/** The task's and its job's UUIDs, by task UUID; 404 when there is no such task. */
function taskWithJob(db: Db, taskUUID: string): { taskUUID: string; jobUUID: string } {
  const row = taskWithJobByUUID(db, taskUUID);
  if (!row) throw notFound("no such task");
  return { taskUUID: row.uuid, jobUUID: row.jobUUID };
}

export function taskHandlers(deps: TaskHandlerDeps): Handlers {
  const { db, clock } = deps;

  return {
    scheduleTask: async (c) => {
      const { wait } = c.req.valid("query");
      let outcome: LongPollOutcome;
      try {
        outcome =
          wait === undefined || !deps.longPoll
            ? { kind: "scheduled", result: await deps.scheduler.scheduleTask(c.var.worker), grantedMs: null }
            : await deps.longPoll.scheduleOrWait(c.var.worker, wait * 1000, c.req.raw.signal);
      } catch (err) {
        if (!isDatabaseBusy(err)) throw err;
        c.header("Retry-After", String(SCHEDULER_BUSY_RETRY_AFTER_SECONDS));
        throw new ApiError(503, "too busy to find a task for you, try again later");
      }
      if (outcome.kind === "closed") {
        c.header("Retry-After", String(SCHEDULER_BUSY_RETRY_AFTER_SECONDS));
        throw new ApiError(503, "the Manager is shutting down, try again later");
      }
      const { result, grantedMs } = outcome;
      switch (result.kind) {
        case "none":
          if (grantedMs !== null) c.header(LONG_POLL_HEADER, String(grantedMs));
          return c.body(null, 204);
        case "status-change-requested":
          return c.json({ status_requested: result.statusRequested }, 423);
        case "assigned":
          return c.json(result.task, 200);
      }
    },

    taskUpdate: async (c) => {
      await deps.taskUpdates.updateTask(c.var.worker, c.req.valid("param").task_id, c.req.valid("json"));
      return c.body(null, 204);
    },

    mayWorkerRun: async (c) => c.json(await deps.mayIRun(c.var.worker, c.req.valid("param").task_id), 200),

    taskOutputProduced: async (c) => {
      markSeen(db, c.var.worker, clock.now());
      const [mediaType = ""] = (c.req.header("Content-Type") ?? "").split(";");
      const mimeType = mediaType.trim().toLowerCase();
      if (!LAST_RENDERED_MIME_TYPES.includes(mimeType)) {
        throw new ApiError(
          415,
          `unsupported mime type ${JSON.stringify(mimeType)}, send image/jpeg or image/png`,
        );
      }
      // Checked on the header, before reading anything: a too-large body is never buffered.
      const length = Number(c.req.header("Content-Length") ?? "0");
      if (!Number.isFinite(length) || length <= 0) throw new ApiError(411, "Content-Length header required");
      if (length > LAST_RENDERED_MAX_BYTES) {
        throw new ApiError(413, `image too large; should be max ${LAST_RENDERED_MAX_BYTES} bytes`);
      }
      const taskUUID = c.req.valid("param").task_id;
      const task = taskWithJobByUUID(db, taskUUID);
      if (!task) throw notFound("no such task");
      // Tablao's rule (Flamenco takes images for any task): only the worker the task is assigned
      // to may show its output, so one worker cannot put images on another's job. Workers upload
      // in the background, so the last frame often arrives just after "completed": that counts.
      if (task.workerId !== c.var.worker.id) {
        throw new ApiError(403, `task ${taskUUID} is not assigned to you`);
      }
      if (task.status !== "active" && task.status !== "completed") {
        throw new ApiError(403, `task ${taskUUID} is not running (its status is "${task.status}")`);
      }
      const image = await deps.lastRendered.readUpload(c.req.raw, task.jobUUID);
      if (!deps.lastRendered.enqueue({ jobUUID: task.jobUUID, mimeType, image })) {
        throw new ApiError(429, "image processing queue is full");
      }
      return c.body(null, 202);
    },

    fetchTaskLogInfo: async (c) => {
      const { taskUUID, jobUUID } = taskWithJob(db, c.req.valid("param").task_id);
      const info = await deps.taskLogs.info(jobUUID, taskUUID);
      if (!info) return c.body(null, 204);
      return c.json({ task_id: taskUUID, job_id: jobUUID, url: info.url, size: info.size }, 200);
    },

    fetchTaskLogTail: async (c) => {
      const { taskUUID, jobUUID } = taskWithJob(db, c.req.valid("param").task_id);
      const tail = await deps.taskLogs.tail(jobUUID, taskUUID);
      if (tail === null) return c.body(null, 204);
      return c.text(tail, 200);
    },

    fetchJobLastRenderedInfo: (c) => {
      const info = deps.lastRendered.jobInfo(c.req.valid("param").job_id);
      return info ? c.json(info, 200) : c.body(null, 204);
    },

    fetchGlobalLastRenderedInfo: (c) => {
      const info = deps.lastRendered.globalInfo();
      return info ? c.json(info, 200) : c.body(null, 204);
    },
  };
}

const CONTENT_TYPES: Record<string, string> = {
  ".txt": "text/plain; charset=utf-8",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
};

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (a single range); null when absent or not understood. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return null;
  const start = m[1] === "" ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  const end = m[1] === "" || m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start > end || start >= size) return "unsatisfiable";
  return { start, end };
}

async function serveJobFile(
  c: Context<ApiEnv>,
  layout: StorageLayout,
  taskLogs: TaskLogStore,
): Promise<Response> {
  // c.req.path is already percent-decoded; the layout rejects whatever would leave the root.
  const path = layout.resolveUrlPath(c.req.path.slice(JOB_FILES_URL_PREFIX.length + 1));
  // A task log is served with everything appended to it before this request.
  if (path) await taskLogs.flush(path);
  const info = path ? await stat(path).catch(() => null) : null;
  if (!path || !info?.isFile()) return errorResponse(c, 404, `no such file: ${c.req.path}`);

  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
  const since = Date.parse(c.req.header("If-Modified-Since") ?? "");
  const headers: Record<string, string> = {
    "Content-Type": CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
    "Last-Modified": lastModified.toUTCString(),
    "Accept-Ranges": "bytes",
  };
  if (!Number.isNaN(since) && lastModified.getTime() <= since) return c.body(null, 304, headers);

  const file = Bun.file(path);
  const range = parseRange(c.req.header("Range"), info.size);
  if (range === "unsatisfiable")
    return c.body(null, 416, { ...headers, "Content-Range": `bytes */${info.size}` });
  if (range) {
    return new Response(c.req.method === "HEAD" ? null : file.slice(range.start, range.end + 1), {
      status: 206,
      headers: {
        ...headers,
        "Content-Range": `bytes ${range.start}-${range.end}/${info.size}`,
        "Content-Length": String(range.end - range.start + 1),
      },
    });
  }
  return new Response(c.req.method === "HEAD" ? null : file, {
    status: 200,
    headers: { ...headers, "Content-Length": String(info.size) },
  });
}

/**
 * `/job-files/*`: the Manager-local storage (task logs, last-rendered images), read-only and
 * without directory listings. Paths that would leave the storage root answer 404.
 */
export function registerJobFiles(app: ApiApp, layout: StorageLayout, taskLogs: TaskLogStore): void {
  declareRoute(app, ["GET", "HEAD"], `${JOB_FILES_URL_PREFIX}/*`, "viewer", (c) =>
    serveJobFile(c, layout, taskLogs),
  );
}
