// Bulk work in slices: a write of thousands of rows runs as several short transactions with a
// turn of the event loop between them, so the worker API's requests (and their group commits)
// are served in between instead of waiting for the whole write (docs/scheduler.md).
import type { Db } from "../db/connection";
import { deleteJob, deleteTasksOfJob } from "../db/queries/job-deletion";
import { inTransaction } from "../db/transaction";

/** Tasks deleted per transaction when a job is removed. */
export const TASK_DELETE_SLICE_ROWS = 500;

/** Resolves after the I/O waiting now (requests, timers due) had its turn. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Deletes the job's tasks slice by slice, then the job row; `last` runs in the transaction that
 * deletes the row (its event).
 */
export async function removeJobInSlices(
  db: Db,
  jobId: number,
  last?: Parameters<typeof inTransaction>[1],
): Promise<void> {
  while (
    inTransaction(db, (tx) => deleteTasksOfJob(tx, jobId, TASK_DELETE_SLICE_ROWS)) === TASK_DELETE_SLICE_ROWS
  ) {
    await yieldToEventLoop();
  }
  inTransaction(db, (tx) => {
    deleteJob(tx, jobId);
    last?.(tx);
  });
}
