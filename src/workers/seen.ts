// "Last seen" bookkeeping for authenticated worker calls. Writes are rate-limited per worker:
// polling workers call many times a second under load, while only the worker timeout (a minute
// by default) and the UI read the value, so a resolution of a second loses nothing.
import { eq } from "drizzle-orm";
import { workers, type WorkerRow } from "../db/schema";
import type { DbOrTx } from "../db/types";

export const SEEN_WRITE_INTERVAL_MS = 1_000;

/**
 * Records that `worker` contacted the Manager at `now`, and updates the snapshot in place so
 * events built from it carry the new value. Skips the write when the stored value is recent.
 */
export function markSeen(db: DbOrTx, worker: WorkerRow, now: Date): void {
  const last = worker.lastSeenAt?.getTime();
  if (last !== undefined && now.getTime() - last < SEEN_WRITE_INTERVAL_MS && now.getTime() >= last) {
    return;
  }
  db.update(workers)
    .set({ lastSeenAt: now, updatedAt: now })
    .where(eq(workers.id, worker.id))
    .run();
  worker.lastSeenAt = now;
  worker.updatedAt = now;
}
