// The files of a database on disk: which configured names are files at all, the files SQLite
// keeps beside one, and the time stamps Tablao puts in the names of the copies it makes
// (backups, a database moved aside by a restore).

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
