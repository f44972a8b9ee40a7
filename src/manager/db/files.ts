// The files of a database on disk: which configured names are files at all, the files SQLite
// keeps beside one, reading one on a connection of its own, the copies Tablao makes of one
// (backups, a restore's incoming file) and the time stamps it puts in their names.
import { Database } from "bun:sqlite";
import { closeSync, fsyncSync, openSync, rmSync } from "node:fs";

/** SQLite's write-ahead log and its index, beside the database while it is open in WAL mode. */
export const SQLITE_SIDE_SUFFIXES = ["-wal", "-shm"] as const;

/**
 * `:memory:` and `file:` URIs are handed to SQLite as they are (see the configuration); only a
 * plain path is a file Tablao can lock, check, copy or replace.
 */
export function isFileDatabase(path: string): boolean {
  return path !== ":memory:" && !path.startsWith("file:");
}

/** `YYYYMMDD-HHMMSS` in UTC: sorts like the time, and never repeats or jumps at a DST change. */
export function fileTimestamp(at: Date): string {
  const iso = at.toISOString(); // 2026-01-05T10:00:00.000Z
  return `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}`;
}

/** The time of a `fileTimestamp` string, or null when it is none. */
export function parseFileTimestamp(stamp: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return null;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * How long a connection of its own (openReader) waits on a lock: a WAL reader waits only in rare
 * moments (the WAL being reset or recovered), or on a copy that is in use elsewhere.
 */
export const READER_BUSY_TIMEOUT_MS = 5_000;

/** A read-only connection of its own to the database at `path`, for a check, a backup or a restore. */
export function openReader(path: string): Database {
  const conn = new Database(path, { readonly: true });
  conn.exec(`PRAGMA busy_timeout = ${READER_BUSY_TIMEOUT_MS}`);
  return conn;
}

/**
 * A consistent copy of `conn`'s database, what its WAL holds included, as a new file at `target`
 * flushed to disk. VACUUM INTO refuses to overwrite, so a file left at `target` is removed first,
 * and does not sync its output. A failed copy leaves no file.
 */
export function copyDatabase(conn: Database, target: string): void {
  rmSync(target, { force: true });
  try {
    conn.query("VACUUM INTO ?").run(target);
    const fd = openSync(target, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(target, { force: true });
    throw err;
  }
}
