// Task log files (events-config-storage.md §3): appends from workers and timestamped Manager
// lines, size-capped by rotation, plus the tail and info views of the log endpoints.
import { appendFileSync, closeSync, mkdirSync, openSync, readSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Clock } from "../clock";
import type { EventBroker } from "../events/broker";
import { taskLogUpdate } from "../events/payloads";
import type { TaskLogSink } from "../state/deps";
import type { StorageLayout } from "./layout";

/**
 * A log file that would grow past this many bytes is first renamed to `<file>.1` (replacing an
 * older one), so one task keeps at most about twice this much log on disk however often it is
 * re-run. Workers send chunks of ~10 KiB, so the cap is never exceeded by more than one chunk.
 */
export const TASK_LOG_MAX_BYTES = 8 * 1024 * 1024;
/** How much of the end of a log the tail endpoint returns (Flamenco's value). */
export const TASK_LOG_TAIL_BYTES = 2048;
/** Suffix of the one rotated file kept per task log. */
export const TASK_LOG_ROTATED_SUFFIX = ".1";
/**
 * How many log sizes and existing folders the store remembers, so an append costs one write
 * instead of a mkdir, a stat and a write; a forgotten entry costs one look at the disk.
 */
export const TASK_LOG_CACHE_MAX_ENTRIES = 10_000;

export interface TaskLogInfo {
  size: number;
  url: string;
}

export interface TaskLogStore extends TaskLogSink {
  /** Appends text verbatim (plus a newline if missing) and sends a task-log event; "" is a no-op. */
  append(jobUUID: string, taskUUID: string, text: string): void;
  /** Appends `<RFC 3339 local time> <line>`, as for every line the Manager writes itself. */
  appendManagerLine(jobUUID: string, taskUUID: string, line: string): void;
  /** Null when the log does not exist or is empty. */
  info(jobUUID: string, taskUUID: string): TaskLogInfo | null;
  /** The last bytes of the log starting at a line boundary; null when missing or empty. */
  tail(jobUUID: string, taskUUID: string): string | null;
}

export interface TaskLogStoreDeps {
  layout: StorageLayout;
  broker: EventBroker;
  clock: Clock;
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

function fileSize(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ENOENT";
}

/** Adds or updates an entry, first dropping the oldest one when the map is full. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (!cache.has(key) && cache.size >= TASK_LOG_CACHE_MAX_ENTRIES) {
    cache.delete(cache.keys().next().value as K);
  }
  cache.set(key, value);
}

export function createTaskLogStore(deps: TaskLogStoreDeps): TaskLogStore {
  const { layout, broker, clock } = deps;
  /** Folders this store created or found; a folder removed since shows up as ENOENT on write. */
  const knownDirs = new Map<string, true>();
  /**
   * Sizes after this store's own appends. Only this Manager writes task logs, so a remembered
   * size is exact unless the file was removed meanwhile; it is checked on disk before rotating.
   */
  const sizes = new Map<string, number>();

  /** Appends `data`; false when the file was started afresh in a re-created folder instead. */
  function write(path: string, data: string): boolean {
    const dir = dirname(path);
    if (!knownDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      remember(knownDirs, dir, true);
    }
    try {
      appendFileSync(path, data, { mode: 0o644 });
      return true;
    } catch (err) {
      if (!isMissing(err)) throw err;
      // The folder went away (its job was deleted, or someone cleaned up): start afresh.
      mkdirSync(dir, { recursive: true });
      appendFileSync(path, data, { mode: 0o644 });
      return false;
    }
  }

  // Synchronous on purpose: the state machines append inside their (synchronous) transactions,
  // and two appends to one file can then never interleave.
  function append(jobUUID: string, taskUUID: string, text: string): void {
    if (text === "") return; // Flamenco still broadcasts empty chunks; nothing changed, so no event.
    const path = layout.taskLogPath(jobUUID, taskUUID);
    const data = text.endsWith("\n") ? text : `${text}\n`;
    const bytes = Buffer.byteLength(data);
    let size = sizes.get(path) ?? fileSize(path);
    if (size > 0 && size + bytes > TASK_LOG_MAX_BYTES) {
      size = fileSize(path);
      if (size > 0 && size + bytes > TASK_LOG_MAX_BYTES) {
        renameSync(path, path + TASK_LOG_ROTATED_SUFFIX);
        size = 0;
      }
    }
    const continued = write(path, data);
    remember(sizes, path, (continued ? size : 0) + bytes);
    // The file is not transactional, so its event goes out as soon as the text is on disk.
    broker.publish(taskLogUpdate(taskUUID, text));
  }

  return {
    append,
    appendManagerLine(jobUUID, taskUUID, line) {
      append(jobUUID, taskUUID, `${rfc3339Local(clock.now())} ${line}`);
    },
    info(jobUUID, taskUUID) {
      const path = layout.taskLogPath(jobUUID, taskUUID);
      const size = fileSize(path);
      return size > 0 ? { size, url: layout.urlOf(path) } : null;
    },
    tail(jobUUID, taskUUID) {
      const path = layout.taskLogPath(jobUUID, taskUUID);
      const size = fileSize(path);
      if (size === 0) return null;
      const length = Math.min(size, TASK_LOG_TAIL_BYTES);
      const buf = Buffer.alloc(length);
      const fd = openSync(path, "r");
      try {
        readSync(fd, buf, 0, length, size - length);
      } finally {
        closeSync(fd);
      }
      if (length < size) {
        // Start at a line boundary, unless the window holds a single (partial) line only.
        const nl = buf.indexOf(0x0a);
        if (nl >= 0 && nl < length - 1) return buf.subarray(nl + 1).toString("utf8");
      }
      return buf.toString("utf8");
    },
  };
}
