// `bun run server -- restore FILE`: puts a backup in place of the configured database (see
// docs/backups.md#restoring). The file must be a sound SQLite database with Tablao's migrations
// table, from this version of the schema or an older one (the Manager applies the missing
// migrations when it starts); a WAL beside it is included. While a Manager holds the database's
// lock the restore refuses; while the restore runs it holds that lock itself, so no Manager can
// start half-way. The current database, with its -wal and -shm, is moved aside, never deleted.
import type { Database } from "bun:sqlite";
import { existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ManagerConfig } from "../config";
import { copyDatabase, fileTimestamp, isFileDatabase, openReader, SQLITE_SIDE_SUFFIXES } from "../db/files";
import { integrityProblems } from "../db/integrity";
import { LockError, lockResource } from "../db/lock";
import { MIGRATIONS_DIR } from "../db/open";

const USAGE = `Usage: npm run server -- [--config FILE] restore BACKUP

Replaces the configured database with BACKUP (a file from the backup folder, or any copy of a
Tablao database). The current database is moved aside as <database>.before-restore-<time>.
Stop the Manager first.`;

/** drizzle-orm's table of applied migrations; every Tablao database has it. */
const MIGRATIONS_TABLE = "__drizzle_migrations";
const MIGRATIONS_JOURNAL = join(MIGRATIONS_DIR, "meta", "_journal.json");
/** The database is moved aside under its name plus this and a time stamp. */
const BEFORE_RESTORE_INFIX = ".before-restore-";
/** The backup is copied next to the database under its name plus this, then renamed. */
const RESTORING_SUFFIX = ".restoring";
const INTEGRITY_PROBLEMS_SHOWN = 5;
/** The database file and those SQLite keeps beside it, moved aside together. */
const DATABASE_FILE_SUFFIXES = ["", ...SQLITE_SIDE_SUFFIXES];

class RestoreRefused extends Error {}

interface BackupInfo {
  jobs: number;
  /** Migrations of this version the backup does not have yet, by name. */
  missingMigrations: string[];
}

export async function runRestoreCommand(args: string[], config: ManagerConfig): Promise<number> {
  if (args.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0 || file.startsWith("-")) {
    console.error(USAGE);
    return 2;
  }
  try {
    restore(resolve(file), config);
    return 0;
  } catch (err) {
    if (err instanceof RestoreRefused || err instanceof LockError) {
      console.error(`restore: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function restore(source: string, config: ManagerConfig): void {
  const database = config.databasePath;
  if (!isFileDatabase(database)) {
    throw new RestoreRefused(
      `the configured database (${database}) is not a file; there is nothing to restore into`,
    );
  }
  if (source === database) throw new RestoreRefused(`${source} is the configured database itself`);
  if (!statSync(source, { throwIfNoEntry: false })?.isFile()) {
    throw new RestoreRefused(`${source}: no such file`);
  }
  let conn: Database;
  try {
    conn = openReader(source); // it may be a live database (a copy in use elsewhere)
  } catch (err) {
    throw new RestoreRefused(`${source} cannot be opened: ${(err as Error).message}`);
  }
  try {
    const info = inspectBackup(conn, source);
    const aside = withDatabaseLock(database, () => putInPlace(conn, source, database));
    report(source, config, info, aside);
  } finally {
    conn.close();
  }
}

/** Runs `fn` holding the database's lock: refused while a Manager has it, and none starts meanwhile. */
function withDatabaseLock<T>(database: string, fn: () => T): T {
  let lock;
  try {
    lock = lockResource(database, "restore");
  } catch (err) {
    if (err instanceof LockError && err.held) {
      throw new LockError(`${err.message}; stop it before restoring`, true);
    }
    throw err;
  }
  try {
    return fn();
  } finally {
    lock.release();
  }
}

function report(source: string, config: ManagerConfig, info: BackupInfo, aside: string | null): void {
  const database = config.databasePath;
  const size = (statSync(database).size / (1024 * 1024)).toFixed(1);
  console.log(`Restored ${source} (${size} MiB, ${info.jobs} job(s)) as ${database}.`);
  console.log(
    aside
      ? `The database it replaced was moved to ${aside} (with its -wal and -shm files, if it had any).`
      : "There was no database there before.",
  );
  if (info.missingMigrations.length > 0) {
    console.log(
      `The backup is from an older version: ${info.missingMigrations.join(", ")} will be applied when the Manager starts.`,
    );
  }
  console.log(
    `Task logs and last-rendered images (${config.storagePath}) are not in backups and were left as they are.`,
  );
  const configOption = config.configPath ? ` -- --config ${config.configPath}` : "";
  console.log(`Start the Manager as usual: npm run server${configOption}`);
}

/** Refuses anything but a sound Tablao database that this version can open. */
function inspectBackup(conn: Database, source: string): BackupInfo {
  try {
    const problems = integrityProblems(conn, INTEGRITY_PROBLEMS_SHOWN);
    if (problems.length > 0) {
      throw new RestoreRefused(`${source} is damaged (integrity check: ${problems.join("; ")})`);
    }
    const hasMigrations = conn
      .query<{ n: number }, [string]>(
        "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = ?",
      )
      .get(MIGRATIONS_TABLE);
    if (!hasMigrations?.n) {
      throw new RestoreRefused(`${source} is not a Tablao database: it has no ${MIGRATIONS_TABLE} table`);
    }
    const applied = conn
      .query<{ created_at: number }, []>(`SELECT created_at FROM ${MIGRATIONS_TABLE}`)
      .all()
      .map((row) => Number(row.created_at));
    const journal = readJournal();
    const newest = Math.max(...journal.map((m) => m.when));
    if (applied.some((when) => when > newest)) {
      throw new RestoreRefused(
        `${source} was made by a newer version of Tablao (its schema has migrations this one does not know)`,
      );
    }
    const jobs = conn.query<{ n: number }, []>("SELECT count(*) AS n FROM jobs").get()?.n ?? 0;
    const missingMigrations = journal.filter((m) => !applied.includes(m.when)).map((m) => m.tag);
    return { jobs, missingMigrations };
  } catch (err) {
    if (err instanceof RestoreRefused) throw err;
    throw new RestoreRefused(`${source} is not a usable SQLite database: ${(err as Error).message}`);
  }
}

function readJournal(): { when: number; tag: string }[] {
  const journal = JSON.parse(readFileSync(MIGRATIONS_JOURNAL, "utf8")) as {
    entries: { when: number; tag: string }[];
  };
  return journal.entries;
}

/**
 * Copies the backup next to the database (so a full disk fails before anything moved), moves the
 * database and its -wal and -shm aside, and renames the copy into place. Returns where the old
 * database went, or null when there was none. The copy is made by SQLite (VACUUM INTO) rather than
 * of the file, so it includes what a WAL beside the backup holds: a database moved aside from a
 * Manager that was killed can be restored in its turn.
 */
function putInPlace(conn: Database, source: string, database: string): string | null {
  const incoming = database + RESTORING_SUFFIX;
  try {
    copyDatabase(conn, incoming); // replaces one left by a restore that was killed
  } catch (err) {
    throw new RestoreRefused(`cannot copy ${source} to ${incoming}: ${(err as Error).message}`);
  }
  const aside = freeName(database + BEFORE_RESTORE_INFIX + fileTimestamp(new Date()));
  const hadDatabase = existsSync(database);
  // The WAL and its index keep the names SQLite looks for beside the moved file.
  for (const suffix of DATABASE_FILE_SUFFIXES) {
    if (existsSync(database + suffix)) renameSync(database + suffix, aside + suffix);
  }
  renameSync(incoming, database);
  return hadDatabase ? aside : null;
}

/** `base`, or `base-1`, `base-2`, ... when an earlier restore in the same second took it. */
function freeName(base: string): string {
  const taken = (name: string) => DATABASE_FILE_SUFFIXES.some((suffix) => existsSync(name + suffix));
  let name = base;
  for (let n = 1; taken(name); n++) name = `${base}-${n}`;
  return name;
}
