// The task-log writer thread: appends the text the Manager queued to task log files, with the
// size cap's rotation, so that creating and writing files (slow on some disks and on network
// shares) never runs on the thread that answers HTTP requests. It only does file I/O; queueing,
// retries, waiting callers and reading logs stay with the store in src/manager/storage/task-logs.ts.
import { appendFileSync, mkdirSync, renameSync, statSync, truncateSync } from "node:fs";
import { dirname } from "node:path";
import {
  TASK_LOG_CACHE_MAX_ENTRIES,
  TASK_LOG_MAX_BYTES,
  TASK_LOG_ROTATED_SUFFIX,
  type WriteBatch,
  type WriteResults,
} from "./task-logs";

/** Folders the writer created or found; a folder removed since shows up as ENOENT on write. */
const knownDirs = new Map<string, true>();
/**
 * Sizes after the writer's own appends. Only this Manager writes task logs, so a remembered size
 * is exact unless the file was removed meanwhile; it is checked on disk before rotating.
 */
const sizes = new Map<string, number>();

/** Adds or updates an entry, first dropping the oldest one when the map is full. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (!cache.has(key) && cache.size >= TASK_LOG_CACHE_MAX_ENTRIES) {
    cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, value);
}

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ENOENT";
}

/**
 * Appends `data` to a file of `size` bytes and returns the new size. A write that fails half-way
 * (a disk filling up) is cut off again, so a failed append leaves no partial text behind for a
 * retry to duplicate.
 */
function append(path: string, data: Buffer, size: number): number {
  const dir = dirname(path);
  if (!knownDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    remember(knownDirs, dir, true);
  }
  try {
    appendFileSync(path, data, { mode: 0o644 });
    return size + data.length;
  } catch (err) {
    if (!isMissing(err)) {
      undoPartialWrite(path, size);
      throw err;
    }
  }
  // The folder went away (its job was deleted, or someone cleaned up): start afresh.
  mkdirSync(dir, { recursive: true });
  try {
    appendFileSync(path, data, { mode: 0o644 });
  } catch (err) {
    undoPartialWrite(path, 0);
    throw err;
  }
  return data.length;
}

function undoPartialWrite(path: string, size: number): void {
  try {
    if (fileSize(path) > size) truncateSync(path, size);
    remember(sizes, path, size);
  } catch {
    // Measured on disk next time; the append's own error is what gets reported.
    sizes.delete(path);
  }
}

/**
 * Renames the log to `<file>.1` (replacing an older one) and returns its new size, 0; a file
 * that is gone meanwhile just starts afresh.
 */
function rotate(path: string): number {
  try {
    renameSync(path, path + TASK_LOG_ROTATED_SUFFIX);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  remember(sizes, path, 0);
  return 0;
}

/**
 * Writes the chunks in order, as many as fit under the cap in one write. A chunk that does not
 * fit in the room left (however large it is) first rotates the log, so the current file never
 * passes the cap: the store never hands over a single chunk larger than it.
 */
function writeChunks(path: string, chunks: string[]): WriteResults["results"][number] {
  let written = 0;
  let writtenBytes = 0;
  try {
    for (let chunk = chunks[written]; chunk !== undefined; chunk = chunks[written]) {
      const first = Buffer.byteLength(chunk);
      let size = sizes.get(path) ?? fileSize(path);
      if (size > 0 && size + first > TASK_LOG_MAX_BYTES && sizes.has(path)) {
        // The remembered size says "full"; the disk decides (the file may have been removed).
        size = fileSize(path);
      }
      if (size > 0 && size + first > TASK_LOG_MAX_BYTES) size = rotate(path);
      let count = 1;
      let bytes = first;
      for (let more = chunks[written + count]; more !== undefined; more = chunks[written + count]) {
        const next = Buffer.byteLength(more);
        if (size + bytes + next > TASK_LOG_MAX_BYTES) break;
        bytes += next;
        count++;
      }
      size = append(path, Buffer.from(chunks.slice(written, written + count).join("")), size);
      remember(sizes, path, size);
      written += count;
      writtenBytes += bytes;
    }
    return { path, written, writtenBytes };
  } catch (err) {
    return { path, written, writtenBytes, error: (err as Error).message };
  }
}

declare const self: Worker;

// Only when running as the writer thread (the store starts it by URL, it never imports it).
if (!Bun.isMainThread) {
  self.onmessage = (event: MessageEvent<WriteBatch>) => {
    const answer: WriteResults = {
      results: event.data.writes.map(({ path, chunks }) => writeChunks(path, chunks)),
    };
    self.postMessage(answer);
  };
}
