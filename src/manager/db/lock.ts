// One Manager per database and per storage folder (see docs/backups.md#one-manager-per-database).
//
// How: `<path>.lock` is a small SQLite file on which the holder keeps an exclusive transaction
// open (BEGIN EXCLUSIVE, never committed) for as long as it runs; anyone else's BEGIN EXCLUSIVE
// fails at once with SQLITE_BUSY. The lock is the operating system's (fcntl on Unix, LockFileEx on
// Windows), taken through SQLite because bun:sqlite is the one file-locking API Bun has. Why not a
// pid file taken with O_EXCL:
// - the kernel drops the lock when the holder dies, kill -9 included, so a stale lock cannot
//   exist, and no "is that pid still alive" guess is needed (a reused pid, or a Manager in another
//   container on the same volume where pids mean nothing, fools that guess);
// - breaking a stale pid file is a race between two starting Managers; here there is nothing to
//   break.
// Who holds the lock is written next to it, to `<path>.lock.json` (pid, host, start time, listen
// address), for the message the loser prints. Only the holder writes that file, and only while it
// holds the lock, so it describes the holder except for the instant between taking the lock and
// writing it. The lock file itself is never deleted: a Manager that deleted it on the way out
// while another opened it would let a third lock a new file of the same name.
//
// POSIX drops all of a process's fcntl locks on a file when the process closes any descriptor of
// it, so nothing but this module's one connection may open a `.lock` file.
import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { isDatabaseBusy } from "./errors";
import { isFileDatabase } from "./files";

export const LOCK_SUFFIX = ".lock";
export const HOLDER_SUFFIX = ".lock.json";

interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601. */
  started: string;
  /** Where the Manager serves; null until it listens, and for a restore. */
  address: string | null;
  /** A serving Manager or the restore command. */
  activity: "manager" | "restore";
}

/** The lock could not be taken: someone holds it (`held`), or the lock file is unusable. */
export class LockError extends Error {
  constructor(
    message: string,
    readonly held: boolean,
  ) {
    super(message);
    this.name = "LockError";
  }
}

export interface ResourceLock {
  /** Records the listen address for whoever is refused next. */
  listening(address: string): void;
  /** Removes the holder file and lets go of the lock; idempotent. */
  release(): void;
}

/**
 * Locks `resource` (a database file or the storage folder) for this process, or throws a
 * LockError whose message names the holder, e.g. `another Manager (pid 1234, listening on
 * http://0.0.0.0:8080/, since 2026-01-05T10:00:00.000Z) is using /data/flamenco-manager.sqlite`.
 */
export function lockResource(
  resource: string,
  activity: LockHolder["activity"],
  now: Date = new Date(),
): ResourceLock {
  const lockPath = resource + LOCK_SUFFIX;
  const holderPath = resource + HOLDER_SUFFIX;
  let conn: Database | null = null;
  try {
    mkdirSync(dirname(lockPath), { recursive: true });
    conn = new Database(lockPath, { create: true });
    conn.exec("PRAGMA busy_timeout = 0");
    // The transaction writes nothing; with the journal in memory it leaves no -journal file.
    conn.exec("PRAGMA journal_mode = MEMORY");
    conn.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    conn?.close();
    if (isDatabaseBusy(err)) {
      throw new LockError(`${describeHolder(readHolder(holderPath))} is using ${resource}`, true);
    }
    throw new LockError(`cannot lock ${resource} (${lockPath}): ${(err as Error).message}`, false);
  }
  const held = conn;

  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: now.toISOString(),
    address: null,
    activity,
  };
  try {
    writeHolder(holderPath, holder);
  } catch (err) {
    held.exec("ROLLBACK");
    held.close();
    throw new LockError(`cannot write ${holderPath}: ${(err as Error).message}`, false);
  }
  let released = false;
  return {
    listening(address) {
      writeHolder(holderPath, { ...holder, address });
    },
    release() {
      if (released) return;
      released = true;
      // Before letting go, so the file never describes a process that no longer holds the lock.
      rmSync(holderPath, { force: true });
      held.exec("ROLLBACK");
      held.close();
    },
  };
}

/**
 * A Manager's locks: its database (unless it is not a file) and its storage folder, so that two
 * Managers share neither. Releases what it took when the second lock is refused.
 */
export function lockManagerFiles(
  config: { databasePath: string; storagePath: string },
  now: Date = new Date(),
): ResourceLock {
  const locks: ResourceLock[] = [];
  try {
    if (isFileDatabase(config.databasePath)) locks.push(lockResource(config.databasePath, "manager", now));
    locks.push(lockResource(config.storagePath, "manager", now));
  } catch (err) {
    for (const lock of locks) lock.release();
    throw err;
  }
  return {
    listening: (address) => locks.forEach((lock) => lock.listening(address)),
    release: () => locks.forEach((lock) => lock.release()),
  };
}

/** Written under another name and renamed, so a reader never sees half of it. */
function writeHolder(path: string, holder: LockHolder): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(holder) + "\n");
  renameSync(temp, path);
}

function readHolder(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder> | null;
    if (typeof parsed?.pid !== "number" || typeof parsed.started !== "string") return null;
    return {
      pid: parsed.pid,
      host: typeof parsed.host === "string" ? parsed.host : "",
      started: parsed.started,
      address: typeof parsed.address === "string" ? parsed.address : null,
      activity: parsed.activity === "restore" ? "restore" : "manager",
    };
  } catch {
    // Missing (the holder is between locking and writing it) or unreadable: say so, still refuse.
    return null;
  }
}

/** "another Manager (pid 1234, listening on ..., since ...)" and its variants. */
function describeHolder(holder: LockHolder | null): string {
  if (!holder) return "another Manager (no details recorded)";
  const pid =
    holder.host && holder.host !== hostname() ? `pid ${holder.pid} on ${holder.host}` : `pid ${holder.pid}`;
  if (holder.activity === "restore") return `a restore (${pid}, since ${holder.started})`;
  const where = holder.address ? `listening on ${holder.address}` : "not listening yet";
  return `another Manager (${pid}, ${where}, since ${holder.started})`;
}
