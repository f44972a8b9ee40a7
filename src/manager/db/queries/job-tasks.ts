// Queries over all tasks of one job: status counts, the bulk status updates of a job status
// change, and the job's own status and touch. Counts and step sums are kept by triggers
// (migration 0002), so reading them costs the same however large the job.
import { asc, eq, inArray, sql } from "drizzle-orm";
import { TASK_STATUSES, type JobStatus, type TaskStatus } from "../../../shared/statuses";
import type { Db } from "../connection";
import { jobs, jobTaskCounts, type JobRow } from "../schema";
import { requireJob } from "./jobs";

/** The statuses sit behind a scalar subquery so the statement keeps one plan (the job index). */
const bulkStatusSql = (alsoSet: string) => `
    UPDATE tasks SET status = $to, activity = $activity, updated_at = $nowMs${alsoSet}
    WHERE job_id = $jobId AND index_in_job > $after AND index_in_job <= $upTo
      AND status IN (SELECT value FROM json_each((SELECT $statuses)))`;

function prepare(db: Db) {
  return {
    countsOfJob: db.orm
      .select({ status: jobTaskCounts.status, n: jobTaskCounts.count })
      .from(jobTaskCounts)
      .where(eq(jobTaskCounts.jobId, sql.placeholder("jobId")))
      .prepare(),
    setStatusOfTasks: db.prepare(bulkStatusSql("")),
    requeueTasks: db.prepare(bulkStatusSql(", steps_completed = 0")),
    recountSteps: db.prepare(`
      UPDATE tasks SET
        steps_completed = CASE status WHEN 'completed' THEN steps_total ELSE 0 END,
        updated_at = $nowMs
      WHERE job_id = $jobId AND index_in_job > $after AND index_in_job <= $upTo
        AND ((status = 'completed' AND steps_completed <> steps_total)
          OR (status = 'queued' AND steps_completed <> 0))`),
    lastTaskIndex: db.prepare<{ last: number | null }>(
      "SELECT max(index_in_job) AS last FROM tasks WHERE job_id = $jobId",
    ),
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

/** Tasks of a job by their place in it: `index_in_job` in (after, upTo]. */
export interface TaskRange {
  after: number;
  upTo: number;
}

/** The highest `index_in_job` of the job's tasks (0 for none): where a walk over them ends. */
export function lastTaskIndex(db: Db, jobId: number): number {
  return db.memo(prepare).lastTaskIndex.get({ jobId })?.last ?? 0;
}

/**
 * Moves the job's tasks in `range` whose status is in `from` (or any) to `to`. A range bounds
 * the rows a slice visits, however many of the job's tasks earlier slices already moved. Queueing
 * a task starts its steps over. Bulk changes write no task-log lines and send no task events:
 * the job event's `refresh_tasks` covers them.
 */
export function setStatusOfJobTasks(
  db: Db,
  jobId: number,
  from: readonly TaskStatus[] | "all",
  to: TaskStatus,
  activity: string,
  now: Date,
  range: TaskRange,
): void {
  const statuses = (from === "all" ? TASK_STATUSES : from).filter((s) => s !== to);
  const statement = db.memo(prepare)[to === "queued" ? "requeueTasks" : "setStatusOfTasks"];
  statement.run({
    jobId,
    statuses: JSON.stringify(statuses),
    to,
    activity,
    nowMs: now.getTime(),
    after: range.after,
    upTo: range.upTo,
  });
}

/** After a requeue, for the tasks in `range`: completed tasks count all their steps, queued ones none. */
export function recountTaskSteps(db: Db, jobId: number, now: Date, range: TaskRange): void {
  db.memo(prepare).recountSteps.run({ jobId, nowMs: now.getTime(), after: range.after, upTo: range.upTo });
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
