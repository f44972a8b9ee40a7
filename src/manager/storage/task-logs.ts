// Task log files (see docs/storage.md): appends from workers and timestamped Manager
// lines, plus the tail and info views of the log endpoints. Appends are queued in memory and
// written by the writer thread (src/manager/storage/task-log-writer.ts), so a slow disk or a network
// share delays the log on disk, never the request that appended to it. Failed writes stay
// queued and are retried.
import { open, stat } from "node:fs/promises";
import { sep } from "node:path";
import type { Clock } from "../../shared/clock";
import type { EventBroker } from "../events/broker";
import { taskLogUpdate } from "../events/payloads";
import type { TaskLogSink } from "../state-machine/deps";
import type { StorageLayout } from "./layout";

/** One message to the writer: text for several files, each file's chunks in order. */
export interface WriteBatch {
  writes: { path: string; chunks: string[] }[];
}

/** The writer's answer: per file, how many chunks (and bytes) are on disk, and why it stopped. */
export interface WriteResults {
  results: { path: string; written: number; writtenBytes: number; error?: string }[];
}

/**
 * A log file that would grow past this many bytes is first renamed to `<file>.1` (replacing an
 * older one), so one task keeps at most about twice this much log on disk however often it is
 * re-run. Workers send chunks of ~10 KiB, so the cap is never exceeded by more than one chunk.
 */
export const TASK_LOG_MAX_BYTES = 8 * 1024 * 1024;
/** Suffix of the one rotated file kept per task log. */
export const TASK_LOG_ROTATED_SUFFIX = ".1";
/**
 * How many log sizes and existing folders the writer remembers, so an append costs one write
 * instead of a mkdir, a stat and a write; a forgotten entry costs one look at the disk.
 */
export const TASK_LOG_CACHE_MAX_ENTRIES = 10_000;

/** How much of the end of a log the tail endpoint returns (Flamenco's value). */
export const TASK_LOG_TAIL_BYTES = 2048;
/** After a failed write (disk full, permissions) the text stays queued and is retried this much later. */
export const TASK_LOG_RETRY_MS = 1_000;
/**
 * Text waiting for the disk is held in memory up to this many bytes; beyond it, new text is
 * dropped (and counted in a warning) rather than growing the Manager without bound while the
 * disk is failing.
 */
export const TASK_LOG_QUEUE_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Batches go to the writer at most this often. The writer opens, appends to and closes each file
 * of a batch, so the longer the wait, the more of a busy task's lines share one append: at 25 ms
 * rather than 5 the writer thread used half the CPU under the scheduler bench. Live `tasklog`
 * events do not wait for it, and reads and shutdown wait for the text they need anyway.
 */
export const TASK_LOG_DISPATCH_INTERVAL_MS = 25;

const WRITER_URL = new URL("./task-log-writer.ts", import.meta.url).href;

/** Bun's Worker can stop (and resume) keeping the process alive. */
type BunWorker = Worker & { ref(): void; unref(): void };

export interface TaskLogInfo {
  size: number;
  url: string;
}

export interface TaskLogStore extends TaskLogSink {
  /**
   * Queues text verbatim (plus a newline if missing) for the task's log and sends a task-log
   * event, once the caller's database change is committed (dropped if it rolls back); "" is a
   * no-op. Appends to one log reach the disk in order.
   */
  append(jobUUID: string, taskUUID: string, text: string): void;
  /** Appends `<RFC 3339 local time> <line>`, as for every line the Manager writes itself. */
  appendManagerLine(jobUUID: string, taskUUID: string, line: string): void;
  /** Null when the log does not exist or is empty; includes everything appended before the call. */
  info(jobUUID: string, taskUUID: string): Promise<TaskLogInfo | null>;
  /** The last bytes of the log starting at a line boundary; null when missing or empty. */
  tail(jobUUID: string, taskUUID: string): Promise<string | null>;
  /**
   * Resolves once the text appended so far to logs at or under `path` (default: all logs) is on
   * disk, or has failed and waits for its retry.
   */
  flush(path?: string): Promise<void>;
  /**
   * Forgets the text still queued (or waiting for a retry) for logs under `dir`, whose job is
   * being deleted, and resolves once the writer is done with that folder: nothing appended
   * before the call can re-create it afterwards.
   */
  discard(dir: string): Promise<void>;
  /** flush(), then one last attempt for failed text; reports what could not be written. */
  close(): Promise<void>;
}

export interface TaskLogStoreDeps {
  layout: StorageLayout;
  broker: EventBroker;
  clock: Clock;
  /** Warnings about the disk: failed writes and text dropped or left unwritten. */
  warn: (msg: string) => void;
  /**
   * Runs a step once the caller's open database change is committed, or at once outside one
   * (src/manager/db/transaction.ts afterCommit): a log never tells of a change that was rolled back.
   */
  afterCommit: (fn: () => void) => void;
}

/** Go's time.RFC3339 in the Manager's local zone: `2026-01-05T11:00:00+01:00` (or `...Z`). */
export function rfc3339Local(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const offsetMin = -d.getTimezoneOffset();
  const zone =
    offsetMin === 0
      ? "Z"
      : `${offsetMin > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`
  );
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.size ?? 0;
}

/** Text queued for one log file, in append order. */
interface Queued {
  chunks: string[];
  bytes: number;
}

interface Waiter {
  under: string;
  resolve(): void;
}

export function createTaskLogStore(deps: TaskLogStoreDeps): TaskLogStore {
  const { layout, broker, clock, warn } = deps;
  /** Text not yet handed to the writer, per file. */
  const queued = new Map<string, Queued>();
  /**
   * The batch the writer is working on, per file. One batch at a time keeps each file's order,
   * and lets the next batch collect everything appended meanwhile: the busier the Manager, the
   * fewer (and larger) the messages to the writer.
   */
  const writing = new Map<string, Queued>();
  /** Files whose last write failed, with the timer of their retry (null once closed). */
  const retrying = new Map<string, unknown>();
  /** Bytes queued, being written or waiting for a retry. */
  let heldBytes = 0;
  let droppedBytes = 0;
  let dispatchPending = false;
  let lastDispatchAt = Number.NEGATIVE_INFINITY;
  let closed = false;
  const waiters: Waiter[] = [];
  let worker: BunWorker | null = null;

  const inScope = (under: string, path: string) =>
    under === "" || path === under || path.startsWith(under + sep);

  /** Nothing at or under `under` is waiting for the writer, except text waiting for a retry. */
  function settled(under: string): boolean {
    for (const path of writing.keys()) if (inScope(under, path)) return false;
    for (const path of queued.keys()) if (!retrying.has(path) && inScope(under, path)) return false;
    return true;
  }

  function wakeWaiters(): void {
    for (const waiter of [...waiters]) {
      if (settled(waiter.under)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  function writer(): BunWorker {
    if (worker) return worker;
    const created = new Worker(WRITER_URL) as BunWorker;
    created.onmessage = (event: MessageEvent<WriteResults>) => onWritten(event.data);
    created.onerror = (event) => {
      // A crashed writer answers nothing: what it had is failed, and the next batch gets a new one.
      event.preventDefault();
      if (worker === created) worker = null;
      created.terminate();
      onWritten({
        results: [...writing.keys()].map((path) => ({
          path,
          written: 0,
          writtenBytes: 0,
          error: `task-log writer thread failed: ${event.message}`,
        })),
      });
    };
    worker = created;
    return created;
  }

  /** Unless a batch is being written, hands every queued file not waiting for a retry to the writer. */
  function dispatch(): void {
    dispatchPending = false;
    if (writing.size > 0) return; // onWritten dispatches again
    const batch: WriteBatch = { writes: [] };
    for (const [path, entry] of queued) {
      if (retrying.has(path)) continue;
      queued.delete(path);
      writing.set(path, entry);
      batch.writes.push({ path, chunks: entry.chunks });
    }
    if (batch.writes.length === 0) return;
    lastDispatchAt = performance.now();
    const thread = writer();
    thread.ref();
    thread.postMessage(batch);
  }

  /** Soon, but not before the interval since the last batch: the text of many requests per batch. */
  function scheduleDispatch(): void {
    if (dispatchPending) return;
    dispatchPending = true;
    // Real time, not the injected clock: batching is I/O plumbing, and a frozen test clock must
    // not hold log text back.
    const waitMs = lastDispatchAt + TASK_LOG_DISPATCH_INTERVAL_MS - performance.now();
    if (waitMs > 0) setTimeout(dispatch, waitMs);
    else setImmediate(dispatch);
  }

  /** Forgets the text queued, or waiting for a retry, at or under `under`. */
  function drop(under: string): void {
    for (const [path, entry] of queued) {
      if (!inScope(under, path)) continue;
      queued.delete(path);
      heldBytes -= entry.bytes;
      const timer = retrying.get(path);
      if (timer !== undefined && timer !== null) clock.clearTimeout(timer);
      retrying.delete(path);
    }
  }

  function onWritten({ results }: WriteResults): void {
    for (const { path, written, writtenBytes, error } of results) {
      const entry = writing.get(path);
      if (!entry) continue;
      writing.delete(path);
      heldBytes -= writtenBytes;
      if (error === undefined) continue;
      // The rest goes back to the front of the queue, before anything appended meanwhile.
      const rest: Queued = { chunks: entry.chunks.slice(written), bytes: entry.bytes - writtenBytes };
      const later = queued.get(path);
      queued.set(
        path,
        later ? { chunks: [...rest.chunks, ...later.chunks], bytes: rest.bytes + later.bytes } : rest,
      );
      if (closed) {
        retrying.set(path, null);
        continue;
      }
      warn(`task log ${path}: ${error}; retrying in ${TASK_LOG_RETRY_MS} ms`);
      retrying.set(
        path,
        clock.setTimeout(() => {
          retrying.delete(path);
          scheduleDispatch();
        }, TASK_LOG_RETRY_MS),
      );
    }
    if (writing.size === 0) worker?.unref(); // An idle writer must not keep the process alive.
    if (queued.size > retrying.size) scheduleDispatch();
    wakeWaiters();
  }

  // Synchronous on purpose: the state machines append inside their (synchronous) transactions.
  function append(jobUUID: string, taskUUID: string, text: string): void {
    if (text === "") return; // Flamenco still broadcasts empty chunks; nothing changed, so no event.
    deps.afterCommit(() => enqueue(jobUUID, taskUUID, text));
  }

  function enqueue(jobUUID: string, taskUUID: string, text: string): void {
    const path = layout.taskLogPath(jobUUID, taskUUID);
    const data = text.endsWith("\n") ? text : `${text}\n`;
    const bytes = Buffer.byteLength(data);
    if (heldBytes + bytes > TASK_LOG_QUEUE_MAX_BYTES) {
      if (droppedBytes === 0) {
        warn(
          `task logs: ${heldBytes} bytes are waiting for the disk; dropping new log text until they are written`,
        );
      }
      droppedBytes += bytes;
    } else {
      if (droppedBytes > 0) {
        warn(`task logs: the disk caught up; ${droppedBytes} bytes of log text were dropped meanwhile`);
        droppedBytes = 0;
      }
      const entry = queued.get(path);
      if (entry) {
        entry.chunks.push(data);
        entry.bytes += bytes;
      } else {
        queued.set(path, { chunks: [data], bytes });
      }
      heldBytes += bytes;
      scheduleDispatch();
    }
    broker.publish(taskLogUpdate(taskUUID, text));
  }

  function flush(under = ""): Promise<void> {
    if (settled(under)) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ under, resolve }));
  }

  async function readableSize(path: string): Promise<number> {
    await flush(path);
    return fileSize(path);
  }

  return {
    append,
    appendManagerLine(jobUUID, taskUUID, line) {
      append(jobUUID, taskUUID, `${rfc3339Local(clock.now())} ${line}`);
    },
    async info(jobUUID, taskUUID) {
      const path = layout.taskLogPath(jobUUID, taskUUID);
      const size = await readableSize(path);
      return size > 0 ? { size, url: layout.urlOf(path) } : null;
    },
    async tail(jobUUID, taskUUID) {
      const path = layout.taskLogPath(jobUUID, taskUUID);
      const size = await readableSize(path);
      if (size === 0) return null;
      const length = Math.min(size, TASK_LOG_TAIL_BYTES);
      const buf = Buffer.alloc(length);
      const file = await open(path, "r");
      try {
        await file.read(buf, 0, length, size - length);
      } finally {
        await file.close();
      }
      if (length < size) {
        // Start at a line boundary, unless the window holds a single (partial) line only.
        const nl = buf.indexOf(0x0a);
        if (nl >= 0 && nl < length - 1) return buf.subarray(nl + 1).toString("utf8");
      }
      return buf.toString("utf8");
    },
    flush,
    async discard(dir) {
      drop(dir);
      await flush(dir);
      // The batch in flight may have failed meanwhile and come back for a retry, which would
      // re-create the folder after its deletion.
      drop(dir);
    },
    async close() {
      await flush();
      closed = true;
      for (const timer of retrying.values()) if (timer !== null) clock.clearTimeout(timer);
      retrying.clear();
      // One last attempt for what failed before; whatever still fails is reported, not kept.
      dispatch();
      await flush();
      worker?.terminate();
      worker = null;
      if (heldBytes > 0 || droppedBytes > 0) {
        warn(
          `task logs: ${heldBytes + droppedBytes} bytes of log text in ${queued.size} log(s) could not be written to disk`,
        );
      }
    },
  };
}
