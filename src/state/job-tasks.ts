// Statements over all tasks of one job: status counts, the bulk status updates of a job
// status change, and the step totals a job derives from its tasks.
import { and, eq, inArray, sql } from "drizzle-orm";
import { jobs, tasks, type JobRow } from "../db/schema";
import type { DbOrTx } from "../db/types";

export interface TaskCounts {
  total: number;
  /** How many tasks of the job have one of these statuses. */
  of(...statuses: readonly string[]): number;
}

export function countTasksOfJob(tx: DbOrTx, jobId: number): TaskCounts {
  const rows = tx
    .select({ status: tasks.status, n: sql<number>`count(*)` })
    .from(tasks)
    .where(eq(tasks.jobId, jobId))
    .groupBy(tasks.status)
    .all();
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
  const which = from === "all" ? eq(tasks.jobId, jobId) : and(eq(tasks.jobId, jobId), inArray(tasks.status, [...from]));
  tx.update(tasks).set({ status: to, activity, updatedAt: now }).where(which).run();
}

/** After a requeue: completed tasks count all their steps, queued ones none. */
export function recountTaskSteps(tx: DbOrTx, jobId: number, now: Date): void {
  tx.update(tasks)
    .set({ stepsCompleted: sql`${tasks.stepsTotal}`, updatedAt: now })
    .where(and(eq(tasks.jobId, jobId), eq(tasks.status, "completed"), sql`${tasks.stepsCompleted} <> ${tasks.stepsTotal}`))
    .run();
  tx.update(tasks)
    .set({ stepsCompleted: 0, updatedAt: now })
    .where(and(eq(tasks.jobId, jobId), eq(tasks.status, "queued"), sql`${tasks.stepsCompleted} <> 0`))
    .run();
}

/** A job's steps are the sums over its tasks; call after saving any task's step counts. */
export function recomputeJobSteps(tx: DbOrTx, jobId: number, now: Date): JobRow {
  const sums = tx
    .select({
      completed: sql<number>`coalesce(sum(${tasks.stepsCompleted}), 0)`,
      total: sql<number>`coalesce(sum(${tasks.stepsTotal}), 0)`,
    })
    .from(tasks)
    .where(eq(tasks.jobId, jobId))
    .get();
  const job = tx
    .update(jobs)
    .set({ stepsCompleted: sums?.completed ?? 0, stepsTotal: sums?.total ?? 0, updatedAt: now })
    .where(eq(jobs.id, jobId))
    .returning()
    .get();
  if (!job) throw new Error(`job ${jobId} does not exist`);
  return job;
}
