// Queries of job deletion: marking jobs for deletion, finding the marked ones, and removing a
// job's row (its tasks and everything else of it go by cascade).
import { asc, eq, isNotNull, lte } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { jobs, type JobRow } from "../schema";

/** Returns the saved job. */
export function markJobForDeletion(tx: Tx, jobId: number, now: Date): JobRow {
  return tx.orm
    .update(jobs)
    .set({ deleteRequestedAt: now, updatedAt: now })
    .where(eq(jobs.id, jobId))
    .returning()
    .get();
}

/** Marks every job last updated at or before `cutoff`; returns the saved jobs. */
export function markJobsUpdatedAtOrBeforeForDeletion(tx: Tx, cutoff: Date, now: Date): JobRow[] {
  return tx.orm
    .update(jobs)
    .set({ deleteRequestedAt: now, updatedAt: now })
    .where(lte(jobs.updatedAt, cutoff))
    .returning()
    .all();
}

/** The UUIDs of up to `limit` jobs marked for deletion, longest marked first. */
export function jobsMarkedForDeletion(db: Db, limit: number): string[] {
  return db.orm
    .select({ uuid: jobs.uuid })
    .from(jobs)
    .where(isNotNull(jobs.deleteRequestedAt))
    .orderBy(asc(jobs.deleteRequestedAt))
    .limit(limit)
    .all()
    .map((j) => j.uuid);
}

export function deleteJob(tx: Tx, jobId: number): void {
  tx.orm.delete(jobs).where(eq(jobs.id, jobId)).run();
}

/**
 * Deletes up to `limit` tasks of the job (their dependencies, failures and logs rows go by
 * cascade); returns how many. Highest index first: a task's dependencies are added before it, so
 * the tasks left never wait on a deleted one and none becomes runnable on the way.
 */
export function deleteTasksOfJob(tx: Tx, jobId: number, limit: number): number {
  return tx.memo(prepare).deleteTasks.all({ jobId, limit }).length;
}

function prepare(db: Db) {
  return {
    deleteTasks: db.prepare<{ id: number }>(
      `DELETE FROM tasks WHERE id IN (
         SELECT id FROM tasks WHERE job_id = $jobId ORDER BY index_in_job DESC LIMIT $limit)
       RETURNING id`,
    ),
  };
}
