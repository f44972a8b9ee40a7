// "Last seen" bookkeeping for authenticated worker calls. Writes are rate-limited per worker:
// polling workers call many times a second under load, while only the worker timeout (a minute
// by default) and the UI read the value, so a resolution of a second loses nothing.
import { eq, sql } from "drizzle-orm";
import { workers, type WorkerRow } from "../db/schema";
import { perConnection } from "../db/prepared";
import type { DbOrTx } from "../db/types";

export const SEEN_WRITE_INTERVAL_MS = 1_000;

/** One prepared statement per connection, shared by every caller and transaction. Binds epoch ms, as stored. */
const seenUpdate = perConnection((db: DbOrTx) =>
  db
    .update(workers)
    .set({ lastSeenAt: sql`${sql.placeholder("nowMs")}`, updatedAt: sql`${sql.placeholder("nowMs")}` })
    .where(eq(workers.id, sql.placeholder("id")))
    .prepare(),
);

/**
 * Records that `worker` contacted the Manager at `now`, and updates the snapshot in place so
 * events built from it carry the new value. Skips the write when the stored value is recent.
 *
 * Callers may pass the database or a transaction: the statement is prepared once per
 * connection and runs in whatever transaction that connection has open.
 */
export function markSeen(db: DbOrTx, worker: WorkerRow, now: Date): void {
  const last = worker.lastSeenAt?.getTime();
  if (last !== undefined && now.getTime() - last < SEEN_WRITE_INTERVAL_MS && now.getTime() >= last) {
    return;
  }
  seenUpdate(db).run({ nowMs: now.getTime(), id: worker.id });
  worker.lastSeenAt = now;
  worker.updatedAt = now;
}
