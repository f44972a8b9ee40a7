// "Last seen" bookkeeping for authenticated worker calls. Writes are rate-limited per worker:
// polling workers call many times a second under load, while only the worker timeout (a minute
// by default) and the UI read the value, so a resolution of a second loses nothing.
import { eq, sql } from "drizzle-orm";
import { workers, type WorkerRow } from "../db/schema";
import type { DbOrTx } from "../db/types";

export const SEEN_WRITE_INTERVAL_MS = 1_000;

function prepareSeenUpdate(db: DbOrTx) {
  return db
    .update(workers)
    .set({ lastSeenAt: sql`${sql.placeholder("nowMs")}`, updatedAt: sql`${sql.placeholder("nowMs")}` })
    .where(eq(workers.id, sql.placeholder("id")))
    .prepare();
}

/** One prepared statement per database handle, shared by every caller of markSeen. Binds epoch ms, as stored. */
const seenUpdates = new WeakMap<DbOrTx, ReturnType<typeof prepareSeenUpdate>>();

/**
 * Records that `worker` contacted the Manager at `now`, and updates the snapshot in place so
 * events built from it carry the new value. Skips the write when the stored value is recent.
 *
 * Pass the database handle, also from inside a transaction: the statement is prepared once per
 * handle, and the synchronous SQLite drivers have one connection, so it runs in the caller's
 * open transaction.
 */
export function markSeen(db: DbOrTx, worker: WorkerRow, now: Date): void {
  const last = worker.lastSeenAt?.getTime();
  if (last !== undefined && now.getTime() - last < SEEN_WRITE_INTERVAL_MS && now.getTime() >= last) {
    return;
  }
  let update = seenUpdates.get(db);
  if (!update) {
    update = prepareSeenUpdate(db);
    seenUpdates.set(db, update);
  }
  update.run({ nowMs: now.getTime(), id: worker.id });
  worker.lastSeenAt = now;
  worker.updatedAt = now;
}
