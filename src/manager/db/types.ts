// The database handle type the services use: any synchronous Drizzle SQLite driver, so the
// core does not depend on bun:sqlite (only src/db/open.ts does).
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema";

export type Db = BaseSQLiteDatabase<"sync", unknown, typeof schema>;
/** A transaction handle, as `db.transaction(fn)` passes it to `fn`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Services accept either, so they compose inside a caller's transaction. */
export type DbOrTx = Tx | Db;
