// Stores a submitted job in slices (see src/manager/jobs/store.ts): the job row under
// construction, its tasks, their dependencies, and the flip to its submitted status. Job step
// totals, task counts and unmet dependencies follow from the tasks' triggers. Tasks and
// dependencies go in through prepared statements, row by row: no bound-parameter limit to hit
// however large the job, and no SQL rebuilt per row.
import { and, eq, sql } from "drizzle-orm";
import type { JobStatus } from "../../../shared/statuses";
import type { Db, Tx } from "../connection";
import { jobs, taskDependencies, tasks, type JobRow } from "../schema";
import { requireJob } from "./jobs";

export interface NewJob {
  uuid: string;
  name: string;
  jobType: string;
  priority: number;
  settings: Record<string, unknown>;
  metadata: Record<string, string>;
  storageShamanCheckoutId: string;
  workerTagId: number | null;
}

export interface NewTask {
  uuid: string;
  name: string;
  type: string;
  indexInJob: number;
  priority: number;
  /** Stored as given, as JSON. */
  commands: unknown[];
  stepsTotal: number;
  /** UUIDs of tasks of the same job. */
  dependencies: string[];
}

const p = (name: string) => sql.placeholder(name);

function prepare(db: Db) {
  return {
    insertTask: db.orm
      .insert(tasks)
      .values({
        uuid: p("uuid"),
        createdAt: sql`${p("nowMs")}`,
        updatedAt: sql`${p("nowMs")}`,
        name: p("name"),
        type: p("type"),
        jobId: p("jobId"),
        indexInJob: p("indexInJob"),
        priority: p("priority"),
        status: "queued",
        commands: p("commands"),
        stepsTotal: p("stepsTotal"),
      })
      .prepare(),
    insertDependency: db.orm
      .insert(taskDependencies)
      .values({ taskId: p("taskId"), dependencyId: p("dependencyId") })
      .prepare(),
    taskIdsOfJob: db.prepare<{ id: number; uuid: string }>(
      "SELECT id, uuid FROM tasks WHERE job_id = $jobId",
    ),
  };
}

/** Inserts the job row as `under-construction`, which no worker is handed tasks of; returns its id. */
export function insertJobUnderConstruction(tx: Tx, job: NewJob, now: Date): number {
  return tx.orm
    .insert(jobs)
    .values({ ...job, status: "under-construction", createdAt: now, updatedAt: now })
    .returning({ id: jobs.id })
    .get().id;
}

/** Inserts tasks of the job, all queued. */
export function insertTasksOfJob(tx: Tx, jobId: number, newTasks: readonly NewTask[], now: Date): void {
  const { insertTask } = tx.memo(prepare);
  const nowMs = now.getTime();
  for (const t of newTasks) {
    insertTask.run({
      uuid: t.uuid,
      nowMs,
      name: t.name,
      type: t.type,
      jobId,
      indexInJob: t.indexInJob,
      priority: t.priority,
      commands: t.commands,
      stepsTotal: t.stepsTotal,
    });
  }
}

/** Task ids of the job by UUID. */
export function taskIdsOfJob(db: Db, jobId: number): Map<string, number> {
  return new Map(
    db
      .memo(prepare)
      .taskIdsOfJob.all({ jobId })
      .map((r) => [r.uuid, r.id]),
  );
}

export function insertTaskDependencies(
  tx: Tx,
  pairs: readonly { taskId: number; dependencyId: number }[],
): void {
  const { insertDependency } = tx.memo(prepare);
  for (const pair of pairs) insertDependency.run(pair);
}

/**
 * The last, small write of a submission: the job takes its submitted status, unless a status
 * change reached it while it was being stored (it is listed meanwhile), which then stands.
 */
export function finishJobConstruction(tx: Tx, jobId: number, status: JobStatus, now: Date): JobRow {
  tx.orm
    .update(jobs)
    .set({ status, updatedAt: now })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, "under-construction")))
    .run();
  return requireJob(tx, jobId);
}
