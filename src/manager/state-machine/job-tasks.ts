// Statements over all tasks of one job: status counts, the bulk status updates of a job
// status change, and the job row after its tasks changed. Counts and step sums are
// kept by triggers (migration 0002), so reading them costs the same however large the job.
import { and, eq, inArray, sql } from "drizzle-orm";
import { jobs, jobTaskCounts, tasks, type JobRow } from "../db/schema";
import { perConnection } from "../db/prepared";
import { requireJob } from "../db/rows";
import type { DbOrTx } from "../db/types";

// Prepared once: counting and step stamping run on every task status change. Timestamps bind
// as stored, epoch ms (a prepared update must set updated_at itself: Drizzle's automatic value
// would be frozen at build time).
const statements = perConnection((db) => ({
  countsOfJob: db
    .select({ status: jobTaskCounts.status, n: jobTaskCounts.count })
    .from(jobTaskCounts)
    .where(eq(jobTaskCounts.jobId, sql.placeholder("jobId")))
    .prepare(),
  // No RETURNING: SQLite buffers returned rows in a temporary table, which made the touch cost
  // more than the update itself plus reading the row back.
  touchJob: db
    .update(jobs)
    .set({ updatedAt: sql`${sql.placeholder("nowMs")}` })
    .where(eq(jobs.id, sql.placeholder("jobId")))
    .prepare(),
}));

export interface TaskCounts {
  total: number;
  /** How many tasks of the job have one of these statuses. */
  of(...statuses: readonly string[]): number;
}

export function countTasksOfJob(tx: DbOrTx, jobId: number): TaskCounts {
  const rows = statements(tx).countsOfJob.all({ jobId });
  const byStatus = new Map(rows.map((r) => [r.status, r.n]));
  return {
    total: rows.reduce((sum, r) => sum + r.n, 0),
    of: (...statuses) => statuses.reduce((sum, s) => sum + (byStatus.get(s) ?? 0), 0),
  };
}

/**
 * Moves the job's tasks in `from` (or all of them) to `to` in one statement. Bulk changes write
 * no task-log lines and send no task events: the job event's `refresh_tasks` covers them.
 */
export function setStatusOfJobTasks(
  tx: DbOrTx,
  jobId: number,
  from: readonly string[] | "all",
  to: string,
  activity: string,
  now: Date,
): void {
  const which =
    from === "all" ? eq(tasks.jobId, jobId) : and(eq(tasks.jobId, jobId), inArray(tasks.status, [...from]));
  tx.update(tasks).set({ status: to, activity, updatedAt: now }).where(which).run();
}

/** After a requeue: completed tasks count all their steps, queued ones none. */
export function recountTaskSteps(tx: DbOrTx, jobId: number, now: Date): void {
  tx.update(tasks)
    .set({ stepsCompleted: sql`${tasks.stepsTotal}`, updatedAt: now })
    .where(
      and(
        eq(tasks.jobId, jobId),
        eq(tasks.status, "completed"),
        sql`${tasks.stepsCompleted} <> ${tasks.stepsTotal}`,
      ),
    )
    .run();
  tx.update(tasks)
    .set({ stepsCompleted: 0, updatedAt: now })
    .where(and(eq(tasks.jobId, jobId), eq(tasks.status, "queued"), sql`${tasks.stepsCompleted} <> 0`))
    .run();
}

/**
 * The job after a change to its tasks: the triggers already summed steps and counts, so this
 * only stamps the job's updated_at and reads it back for the event.
 */
export function touchJob(tx: DbOrTx, jobId: number, now: Date): JobRow {
  statements(tx).touchJob.run({ nowMs: now.getTime(), jobId });
  return requireJob(tx, jobId);
}
