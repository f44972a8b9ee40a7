// Opens the Manager's SQLite database (the bun:sqlite edge adapter): pragmas the way Flamenco
// learned the hard way, migrations at start-up, and periodic WAL checkpoints.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import * as schema from "./schema";
import { createDb, type Db, type RawStatement, type SqlParams } from "./connection";
import { isFileDatabase } from "./files";
import { flushGroupCommit } from "./transaction";

export const BUSY_TIMEOUT_MS = 20_000;
export const WAL_CHECKPOINT_INTERVAL_MS = 15 * 60_000;
/**
 * SQLite's page cache (its default is 2 MiB). A farm's hot pages (the tasks being assigned and
 * updated, their indexes, job rows) outgrow 2 MiB at some ten thousand queued tasks, and each
 * miss is a read from the OS; the scheduler bench ran a few percent faster at 100k queued.
 */
export const SQLITE_CACHE_MIB = 64;
export const MIGRATIONS_DIR = join(import.meta.dir, "migrations");

export interface OpenedDatabase {
  db: Db;
  sqlite: Database;
  /** Stops the checkpoint timer, checkpoints and closes the file. */
  close(): void;
}

export function openDatabase(path: string): OpenedDatabase {
  if (isFileDatabase(path)) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  sqlite.exec("PRAGMA foreign_keys = ON");
  // Statement journals of trigger-heavy writes (the task counters) stay in memory, not temp files.
  sqlite.exec("PRAGMA temp_store = MEMORY");
  sqlite.exec(`PRAGMA cache_size = -${SQLITE_CACHE_MIB * 1024}`);
  const fk = sqlite.query("PRAGMA foreign_keys").get() as { foreign_keys: number };
  if (fk.foreign_keys !== 1) throw new Error("SQLite refused to enable foreign keys");

  const orm = drizzle({ client: sqlite, schema });
  migrate(orm, { migrationsFolder: MIGRATIONS_DIR });
  const db = createDb(orm, (sqlText) => rawStatement(sqlite, sqlText));

  // Skipped while a transaction is open (a group commit waiting for the end of its turn):
  // the next round catches up. While running, the periodic one is PASSIVE: a TRUNCATE waits for
  // every reader, and a backup or integrity check reading on another connection would hold the
  // event loop for as long as it runs. Only the last one, at close, truncates the WAL.
  const checkpoint = (mode: "PASSIVE" | "TRUNCATE") => {
    if (!sqlite.inTransaction) sqlite.exec(`PRAGMA wal_checkpoint(${mode})`);
  };
  const timer = setInterval(() => checkpoint("PASSIVE"), WAL_CHECKPOINT_INTERVAL_MS);
  timer.unref?.();
  return {
    db,
    sqlite,
    close() {
      clearInterval(timer);
      flushGroupCommit(db);
      checkpoint("TRUNCATE");
      sqlite.close();
    },
  };
}

/** bun:sqlite's prepared statement, seen through the driver-neutral RawStatement. */
function rawStatement<Row>(sqlite: Database, sqlText: string): RawStatement<Row> {
  const statement = sqlite.prepare<Row, SqlParams>(sqlText);
  return {
    all: (params = {}) => statement.all(params),
    get: (params = {}) => statement.get(params),
    run: (params = {}) => void statement.run(params),
  };
}
