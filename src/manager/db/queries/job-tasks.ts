// Queries over all tasks of one job: status counts, the bulk status updates of a job status
// change, and the job's own status and touch. Counts and step sums are kept by triggers
// (migration 0002), so reading them costs the same however large the job.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { JobStatus, TaskStatus } from "../../../shared/statuses";
import type { Db } from "../connection";
import { jobs, jobTaskCounts, tasks, type JobRow } from "../schema";
import { requireJob } from "./jobs";

function prepare(db: Db) {
  return {
    countsOfJob: db.orm
      .select({ status: jobTaskCounts.status, n: jobTaskCounts.count })
      .from(jobTaskCounts)
      .where(eq(jobTaskCounts.jobId, sql.placeholder("jobId")))
      .prepare(),
    // No RETURNING: SQLite buffers returned rows in a temporary table, which made the touch cost
    // more than the update itself plus reading the row back.
    touchJob: db.orm
      .update(jobs)
      .set({ updatedAt: sql`${sql.placeholder("nowMs")}` })
      .where(eq(jobs.id, sql.placeholder("jobId")))
      .prepare(),
  };
}

export interface TaskCounts {
  total: number;
  /** How many tasks of the job have one of these statuses. */
  of(...statuses: readonly TaskStatus[]): number;
}

export function countTasksOfJob(db: Db, jobId: number): TaskCounts {
  const rows = db.memo(prepare).countsOfJob.all({ jobId });
  const byStatus = new Map(rows.map((r) => [r.status, r.n]));
  return {
    total: rows.reduce((sum, r) => sum + r.n, 0),
    of: (...statuses) => statuses.reduce((sum, s) => sum + (byStatus.get(s) ?? 0), 0),
  };
}

/**
 * The job after a change to its tasks: the triggers already summed steps and counts, so this
 * only stamps the job's updated_at and reads it back for the event.
 */
export function touchJob(db: Db, jobId: number, now: Date): JobRow {
  db.memo(prepare).touchJob.run({ nowMs: now.getTime(), jobId });
  return requireJob(db, jobId);
}

export function saveJobStatus(db: Db, jobId: number, status: JobStatus, activity: string, now: Date): void {
  db.orm.update(jobs).set({ status, activity, updatedAt: now }).where(eq(jobs.id, jobId)).run();
}

/**
 * Moves the job's tasks in `from` (or all of them) to `to` in one statement. Bulk changes write
 * no task-log lines and send no task events: the job event's `refresh_tasks` covers them.
 */
export function setStatusOfJobTasks(
  db: Db,
  jobId: number,
  from: readonly TaskStatus[] | "all",
  to: TaskStatus,
  activity: string,
  now: Date,
): void {
  const which =
    from === "all" ? eq(tasks.jobId, jobId) : and(eq(tasks.jobId, jobId), inArray(tasks.status, [...from]));
  db.orm.update(tasks).set({ status: to, activity, updatedAt: now }).where(which).run();
}

/** After a requeue: completed tasks count all their steps, queued ones none. */
export function recountTaskSteps(db: Db, jobId: number, now: Date): void {
  db.orm
    .update(tasks)
    .set({ stepsCompleted: sql`${tasks.stepsTotal}`, updatedAt: now })
    .where(
      and(
        eq(tasks.jobId, jobId),
        eq(tasks.status, "completed"),
        sql`${tasks.stepsCompleted} <> ${tasks.stepsTotal}`,
      ),
    )
    .run();
  db.orm
    .update(tasks)
    .set({ stepsCompleted: 0, updatedAt: now })
    .where(and(eq(tasks.jobId, jobId), eq(tasks.status, "queued"), sql`${tasks.stepsCompleted} <> 0`))
    .run();
}

/** Jobs in one of these statuses, oldest first (start-up repair). */
export function jobsWithStatus(db: Db, statuses: readonly JobStatus[]): JobRow[] {
  return db.orm
    .select()
    .from(jobs)
    .where(inArray(jobs.status, [...statuses]))
    .orderBy(asc(jobs.id))
    .all();
}
