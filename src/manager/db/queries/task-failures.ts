// Queries of the failure bookkeeping: which workers failed a task, the per-job blocklist of
// (worker, task type), and the workers left that could still retry a task.
import { and, eq, inArray, notExists, sql } from "drizzle-orm";
import type { Db } from "../connection";
import {
  jobBlocks,
  taskFailures,
  tasks,
  workers,
  workerTagMembership,
  type JobRow,
  type TaskRow,
} from "../schema";

/** Adds the worker to the task's failure list (once); returns how many workers failed the task. */
export function recordTaskFailure(db: Db, taskId: number, workerId: number, now: Date): number {
  db.orm.insert(taskFailures).values({ taskId, workerId, createdAt: now }).onConflictDoNothing().run();
  return (
    db.orm
      .select({ n: sql<number>`count(*)` })
      .from(taskFailures)
      .where(eq(taskFailures.taskId, taskId))
      .get()?.n ?? 0
  );
}

/** Distinct tasks of this type in this job that the worker failed. */
export function countFailuresOfType(db: Db, workerId: number, jobId: number, taskType: string): number {
  return (
    db.orm
      .select({ n: sql<number>`count(*)` })
      .from(taskFailures)
      .innerJoin(tasks, eq(taskFailures.taskId, tasks.id))
      .where(and(eq(taskFailures.workerId, workerId), eq(tasks.jobId, jobId), eq(tasks.type, taskType)))
      .get()?.n ?? 0
  );
}

/** Keeps the worker from tasks of this type in this job. */
export function blocklistWorker(db: Db, jobId: number, workerId: number, taskType: string, now: Date): void {
  db.orm.insert(jobBlocks).values({ jobId, workerId, taskType, createdAt: now }).onConflictDoNothing().run();
}

/** Forgets which workers failed this task. */
export function clearTaskFailures(db: Db, taskId: number): void {
  db.orm.delete(taskFailures).where(eq(taskFailures.taskId, taskId)).run();
}

/** Forgets the failure lists of all the job's tasks and the job's blocklist. */
export function clearJobFailures(db: Db, jobId: number): void {
  db.orm
    .delete(taskFailures)
    .where(
      inArray(taskFailures.taskId, db.orm.select({ id: tasks.id }).from(tasks).where(eq(tasks.jobId, jobId))),
    )
    .run();
  db.orm.delete(jobBlocks).where(eq(jobBlocks.jobId, jobId)).run();
}

/**
 * Workers that could still retry the task: in the job's tag (any worker for an untagged job),
 * supporting the task type, not blocklisted for it on this job and not on the task's failure
 * list. Their status does not matter: an asleep or offline worker may come back.
 */
export function countUntriedWorkers(
  db: Db,
  job: Pick<JobRow, "id" | "workerTagId">,
  task: Pick<TaskRow, "id" | "type">,
): number {
  const conditions = [
    notExists(
      db.orm
        .select({ one: sql`1` })
        .from(jobBlocks)
        .where(
          and(
            eq(jobBlocks.jobId, job.id),
            eq(jobBlocks.workerId, workers.id),
            eq(jobBlocks.taskType, task.type),
          ),
        ),
    ),
    notExists(
      db.orm
        .select({ one: sql`1` })
        .from(taskFailures)
        .where(and(eq(taskFailures.taskId, task.id), eq(taskFailures.workerId, workers.id))),
    ),
  ];
  if (job.workerTagId != null) {
    conditions.push(
      inArray(
        workers.id,
        db.orm
          .select({ id: workerTagMembership.workerId })
          .from(workerTagMembership)
          .where(eq(workerTagMembership.workerTagId, job.workerTagId)),
      ),
    );
  }
  return db.orm
    .select({ types: workers.supportedTaskTypes })
    .from(workers)
    .where(and(...conditions))
    .all()
    .filter((w) => w.types.split(",").includes(task.type)).length;
}
