// Opens the Manager's SQLite database (the bun:sqlite edge adapter): pragmas the way Flamenco
// learned the hard way, migrations at start-up, and the last WAL checkpoint at close (the
// Manager's running ones are src/manager/db/checkpointer.ts).
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
  /** Commits what is pending, checkpoints (emptying the WAL) and closes the file. */
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

  return {
    db,
    sqlite,
    close() {
      flushGroupCommit(db);
      // Only at close: a TRUNCATE waits for every reader, such as a backup on another connection.
      if (!sqlite.inTransaction) sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
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
