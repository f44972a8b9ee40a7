// Task log files (see docs/storage.md): appends from workers and timestamped Manager
// lines, plus the tail and info views of the log endpoints. Text is queued in memory and
// written by the writer thread (src/manager/storage/task-log-writer.ts), so a slow disk or a
// network share never blocks the thread that answers requests. A worker's text is waited for
// (appendAndWait): its task update is answered only once the text is in the file, so what was
// acknowledged survives a killed Manager. The Manager's own lines are not waited for; a failed
// write of them stays queued and is retried. A log about to pass TASK_LOG_MAX_BYTES is rotated.
import { open, stat } from "node:fs/promises";
import { sep } from "node:path";
import type { Clock } from "../../shared/clock";
import type { EventBroker } from "../events/broker";
import { taskLogUpdate } from "../events/payloads";
import type { TaskLogSink } from "../state-machine/deps";
import type { StorageLayout } from "./layout";
import { createDiskTroubleReporter } from "./task-log-trouble";

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
 * older one), so one task keeps at most twice this much log on disk however often it is re-run,
 * and always its latest text. A single append is never larger than this (a worker's task update
 * carries at most 4 MiB, the Manager's lines are short), so no file ever passes it.
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
/** After a failed write (disk full, permissions) the Manager's own lines are retried this much later. */
export const TASK_LOG_RETRY_MS = 1_000;
/**
 * Text waiting for the disk is held in memory up to this many bytes; beyond it, new Manager
 * lines are dropped (and counted in a warning) and workers' text is refused, rather than
 * growing the Manager without bound while the disk is failing.
 */
export const TASK_LOG_QUEUE_MAX_BYTES = 64 * 1024 * 1024;
/**
 * The Manager's own lines go to the writer at most this often, so a busy task's lines share one
 * append (at 25 ms rather than 5 the writer thread used half the CPU under the scheduler bench).
 * Text a worker waits for goes at once, together with whatever is queued by then.
 */
export const TASK_LOG_DISPATCH_INTERVAL_MS = 25;

/** Text that could not be written (disk full, read-only, I/O error); the caller answers 503. */
export class TaskLogWriteError extends Error {
  override name = "TaskLogWriteError";
}

/** Text dropped unwritten because its job's logs are being deleted. */
export class TaskLogDiscardedError extends Error {
  override name = "TaskLogDiscardedError";
}

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
   * no-op. Not waited for: for the Manager's own lines. Appends to one log reach the disk in order.
   * Throws a RangeError for text larger than TASK_LOG_MAX_BYTES.
   */
  append(jobUUID: string, taskUUID: string, text: string): void;
  /**
   * Appends text verbatim (plus a newline if missing) at once, for a caller that answers only
   * once it is written: resolves when the text is in the file (handed to the OS), then sends the
   * task-log event. Rejects with TaskLogWriteError when it could not be written (the text is then
   * forgotten: whoever sent it sends it again), with TaskLogDiscardedError when the job's logs
   * were discarded first, and with a RangeError for text larger than TASK_LOG_MAX_BYTES (the
   * caller limits it). "" resolves at once. Call it outside a database change: the text is not
   * tied to one.
   */
  appendAndWait(jobUUID: string, taskUUID: string, text: string): Promise<void>;
  /** Appends `<RFC 3339 local time> <line>`, as for every line the Manager writes itself. */
  appendManagerLine(jobUUID: string, taskUUID: string, line: string): void;
  /** Null when the log does not exist or is empty; includes everything appended before the call. */
  info(jobUUID: string, taskUUID: string): Promise<TaskLogInfo | null>;
  /** The last bytes of the log starting at a line boundary; null when missing or empty. */
  tail(jobUUID: string, taskUUID: string): Promise<string | null>;
  /**
   * Resolves once the text appended so far to logs at or under `path` (default: all logs) is on
   * disk, or has failed (and, for the Manager's lines, waits for its retry).
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

/** One append: its text, and for appendAndWait who waits for it. */
interface Chunk {
  data: string;
  bytes: number;
  waiter?: { taskUUID: string; text: string; resolve(): void; reject(err: Error): void };
}

/** Text queued for one log file, in append order. */
interface Queued {
  chunks: Chunk[];
  bytes: number;
  /** How many of the chunks have a waiter: those go to the writer at once. */
  waited: number;
}

interface Waiter {
  under: string;
  resolve(): void;
}

const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

/** A caller's mistake: no single append may be larger than a log file's rotation size. */
function tooLarge(path: string, bytes: number): RangeError {
  return new RangeError(
    `log text of ${bytes} bytes for ${path} is larger than a task log's rotation size of ${TASK_LOG_MAX_BYTES} bytes`,
  );
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
  /** Files whose Manager lines failed to be written, with the timer of their retry (null once closed). */
  const retrying = new Map<string, unknown>();
  /** Bytes queued, being written or waiting for a retry. */
  let heldBytes = 0;
  let droppedBytes = 0;
  /** A dispatch is due in this event-loop turn, or on this timer. */
  let dispatchSoon = false;
  let dispatchTimer: ReturnType<typeof setTimeout> | null = null;
  let lastDispatchAt = Number.NEGATIVE_INFINITY;
  let closed = false;
  const waiters: Waiter[] = [];
  let worker: BunWorker | null = null;
  const trouble = createDiskTroubleReporter(clock, warn);

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
    dispatchSoon = false;
    if (dispatchTimer !== null) clearTimeout(dispatchTimer);
    dispatchTimer = null;
    if (writing.size > 0) return; // onWritten dispatches again
    const batch: WriteBatch = { writes: [] };
    for (const [path, entry] of queued) {
      if (retrying.has(path)) continue;
      queued.delete(path);
      writing.set(path, entry);
      batch.writes.push({ path, chunks: entry.chunks.map((c) => c.data) });
    }
    if (batch.writes.length === 0) return;
    lastDispatchAt = performance.now();
    const thread = writer();
    thread.ref();
    thread.postMessage(batch);
  }

  /**
   * Text someone waits for goes at the end of this event-loop turn (with everything appended in
   * it); the Manager's own lines no sooner than the interval since the last batch. Real time,
   * not the injected clock: batching is I/O plumbing, and a frozen test clock must not hold log
   * text back.
   */
  function scheduleDispatch(urgent: boolean): void {
    if (dispatchSoon) return;
    const waitMs = urgent ? 0 : lastDispatchAt + TASK_LOG_DISPATCH_INTERVAL_MS - performance.now();
    if (waitMs > 0) {
      dispatchTimer ??= setTimeout(dispatch, waitMs);
      return;
    }
    if (dispatchTimer !== null) clearTimeout(dispatchTimer);
    dispatchTimer = null;
    dispatchSoon = true;
    setImmediate(dispatch);
  }

  /** Forgets the text queued, or waiting for a retry, at or under `under`. */
  function drop(under: string): void {
    for (const [path, entry] of queued) {
      if (!inScope(under, path)) continue;
      queued.delete(path);
      heldBytes -= entry.bytes;
      for (const { waiter } of entry.chunks) {
        waiter?.reject(new TaskLogDiscardedError(`task log ${path} was discarded: its job is being deleted`));
      }
      const timer = retrying.get(path);
      if (timer !== undefined && timer !== null) clock.clearTimeout(timer);
      retrying.delete(path);
    }
  }

  /** Adds chunks to the end of a file's queue. */
  function enqueue(path: string, chunks: Chunk[]): Queued {
    const bytes = chunks.reduce((sum, c) => sum + c.bytes, 0);
    const waited = chunks.filter((c) => c.waiter).length;
    const entry = queued.get(path);
    if (!entry) {
      const created = { chunks, bytes, waited };
      queued.set(path, created);
      return created;
    }
    entry.chunks.push(...chunks);
    entry.bytes += bytes;
    entry.waited += waited;
    return entry;
  }

  function onWritten({ results }: WriteResults): void {
    for (const { path, written, writtenBytes, error } of results) {
      const entry = writing.get(path);
      if (!entry) continue;
      writing.delete(path);
      heldBytes -= writtenBytes;
      for (const { waiter } of entry.chunks.slice(0, written)) {
        if (!waiter) continue;
        broker.publish(taskLogUpdate(waiter.taskUUID, waiter.text));
        waiter.resolve();
      }
      if (error === undefined) continue;
      // Workers' text is refused, not kept: they send it again. The Manager's own lines go back
      // to the front of the queue, before anything appended meanwhile, and are retried.
      const rest = entry.chunks.slice(written);
      const kept = rest.filter((c) => !c.waiter);
      for (const { waiter, bytes } of rest) {
        if (!waiter) continue;
        heldBytes -= bytes;
        waiter.reject(new TaskLogWriteError(`cannot write task log ${path}: ${error}`));
      }
      if (kept.length < rest.length) {
        trouble.failed(
          `task log ${path}: ${error}; the worker's task update is refused (503) until it can be written`,
        );
      }
      if (kept.length === 0) continue;
      const later = queued.get(path);
      queued.delete(path);
      const requeued = enqueue(path, kept);
      if (later) enqueue(path, later.chunks);
      if (closed) {
        retrying.set(path, null);
        continue;
      }
      // A worker waiting on this log gets its attempt now; otherwise the disk gets a moment.
      if (requeued.waited > 0) continue;
      trouble.failed(`task log ${path}: ${error}; retrying in ${TASK_LOG_RETRY_MS} ms`);
      retrying.set(
        path,
        clock.setTimeout(() => {
          retrying.delete(path);
          scheduleDispatch(false);
        }, TASK_LOG_RETRY_MS),
      );
    }
    if (results.some((r) => r.error === undefined)) trouble.succeeded(retrying.size > 0);
    if (writing.size === 0) worker?.unref(); // An idle writer must not keep the process alive.
    if (queued.size > retrying.size) scheduleDispatch([...queued.values()].some((e) => e.waited > 0));
    wakeWaiters();
  }

  // Synchronous on purpose: the state machines append inside their (synchronous) transactions.
  function append(jobUUID: string, taskUUID: string, text: string): void {
    if (text === "") return; // Flamenco still broadcasts empty chunks; nothing changed, so no event.
    const bytes = Buffer.byteLength(withNewline(text));
    if (bytes > TASK_LOG_MAX_BYTES) throw tooLarge(layout.taskLogPath(jobUUID, taskUUID), bytes);
    deps.afterCommit(() => queueText(jobUUID, taskUUID, text));
  }

  function queueText(jobUUID: string, taskUUID: string, text: string): void {
    const path = layout.taskLogPath(jobUUID, taskUUID);
    const data = withNewline(text);
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
      enqueue(path, [{ data, bytes }]);
      heldBytes += bytes;
      scheduleDispatch(false);
    }
    broker.publish(taskLogUpdate(taskUUID, text));
  }

  function appendAndWait(jobUUID: string, taskUUID: string, text: string): Promise<void> {
    if (text === "") return Promise.resolve();
    const path = layout.taskLogPath(jobUUID, taskUUID);
    const data = withNewline(text);
    const bytes = Buffer.byteLength(data);
    if (bytes > TASK_LOG_MAX_BYTES) return Promise.reject(tooLarge(path, bytes));
    if (closed) {
      return Promise.reject(new TaskLogWriteError(`cannot write task log ${path}: the Manager is stopping`));
    }
    if (heldBytes + bytes > TASK_LOG_QUEUE_MAX_BYTES) {
      return Promise.reject(
        new TaskLogWriteError(
          `cannot write task log ${path}: ${heldBytes} bytes of log text are already waiting for the disk`,
        ),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    enqueue(path, [{ data, bytes, waiter: { taskUUID, text, resolve, reject } }]);
    heldBytes += bytes;
    // Someone waits: a log whose Manager lines wait for a retry is tried again now.
    const timer = retrying.get(path);
    if (timer !== undefined && timer !== null) clock.clearTimeout(timer);
    retrying.delete(path);
    scheduleDispatch(true);
    return promise;
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
    appendAndWait,
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
