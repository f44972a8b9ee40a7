// "Last seen" bookkeeping for authenticated worker calls. Writes are rate-limited per worker:
// polling workers call many times a second under load, while only the worker timeout (a minute
// by default) and the UI read the value, so a resolution of a second loses nothing.
import type { Db } from "../db/connection";
import type { WorkerRow } from "../db/schema";
import { markWorkerSeen } from "../db/queries/workers";
import { inSharedTransaction } from "../db/transaction";

export const SEEN_WRITE_INTERVAL_MS = 1_000;

/**
 * Records that `worker` contacted the Manager at `now`, and updates the snapshot in place so
 * events built from it carry the new value. Skips the write when the stored value is recent.
 *
 * Inside a change (scheduler, task updates, may-i-run) the stamp is part of it, committed or
 * rolled back with it; outside one it joins the shared commit of the workers' small changes.
 * Nobody waits for that commit: a lost stamp is harmless (the next call writes it again), and a
 * failing one must not fail the worker's request.
 */
export function markSeen(db: Db, worker: WorkerRow, now: Date): void {
  const last = worker.lastSeenAt?.getTime();
  if (last !== undefined && now.getTime() - last < SEEN_WRITE_INTERVAL_MS && now.getTime() >= last) {
    return;
  }
  inSharedTransaction(db, (tx) => markWorkerSeen(tx, worker.id, now)).catch(() => undefined);
  worker.lastSeenAt = now;
  worker.updatedAt = now;
}
