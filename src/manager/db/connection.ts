// The database handle the services get: Drizzle for the queries it writes well, statements of
// raw SQL for the few it cannot express or prepare, and a per-connection memo that holds each
// query module's prepared statements. The synchronous SQLite driver has a single connection, so a
// prepared statement runs in whatever transaction is open on it. open.ts makes the handle from
// bun:sqlite; nothing else in the Manager depends on the driver.
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema";

/**
 * Drizzle on the connection, without `transaction`: every write goes through inTransaction
 * (transaction.ts), which knows about the shared commit and the work that waits for a commit.
 */
export type Orm = Omit<BaseSQLiteDatabase<"sync", unknown, typeof schema>, "transaction">;

export type SqlValue = string | number | bigint | boolean | null | Uint8Array;
/** Values by parameter name: `$id` in the SQL text binds `{ id }`. */
export type SqlParams = Record<string, SqlValue>;

/** A statement of raw SQL, prepared once; rows come back as plain objects named by the SELECT. */
export interface RawStatement<Row> {
  all(params?: SqlParams): Row[];
  get(params?: SqlParams): Row | null;
  run(params?: SqlParams): void;
}

export interface Db {
  readonly orm: Orm;
  /** Prepares SQL text with `$name` parameters on this connection. */
  prepare: <Row = unknown>(sqlText: string) => RawStatement<Row>;
  /**
   * `build(db)`, run once per connection and kept: a query module's prepared statements
   * (preparing costs more than running most of ours). Key it on a module-level function.
   */
  memo: <T>(build: (db: Db) => T) => T;
}

/** A change in progress (see inTransaction): the connection plus the work that waits for its commit. */
export interface Tx extends Db {
  /**
   * Runs `fn` once the change is committed, in order with the change's other such work (its
   * events); dropped if the change rolls back.
   */
  afterCommit: (fn: () => void) => void;
}

/** The handle over one connection; `prepare` is the driver's. */
export function createDb(orm: Orm, prepare: <Row>(sqlText: string) => RawStatement<Row>): Db {
  const memos = new Map<(db: Db) => unknown, unknown>();
  const db: Db = {
    orm,
    prepare,
    memo<T>(build: (db: Db) => T): T {
      if (!memos.has(build)) memos.set(build, build(db));
      return memos.get(build) as T;
    },
  };
  return db;
}
