// Reads behind the API views of tasks: a job's tasks or one task, each with the worker it is
// assigned to, and the workers that failed a task.
import { asc, eq } from "drizzle-orm";
import type { Db } from "../connection";
import { jobs, taskFailures, tasks, workers, type TaskRow, type WorkerRow } from "../schema";

/** What a task view shows of a worker. */
export type WorkerRef = Pick<WorkerRow, "uuid" | "name" | "address">;

const workerRef = { uuid: workers.uuid, name: workers.name, address: workers.address };

/** The job's tasks in job order, each with its worker (null when unassigned). */
export function tasksOfJobWithWorkers(db: Db, jobId: number): { task: TaskRow; worker: WorkerRef | null }[] {
  return db.orm
    .select({ task: tasks, worker: workerRef })
    .from(tasks)
    .leftJoin(workers, eq(tasks.workerId, workers.id))
    .where(eq(tasks.jobId, jobId))
    .orderBy(asc(tasks.indexInJob))
    .all();
}

export function taskWithJobUUIDAndWorker(
  db: Db,
  uuid: string,
): { task: TaskRow; jobUUID: string; worker: WorkerRef | null } | undefined {
  return db.orm
    .select({ task: tasks, jobUUID: jobs.uuid, worker: workerRef })
    .from(tasks)
    .innerJoin(jobs, eq(tasks.jobId, jobs.id))
    .leftJoin(workers, eq(tasks.workerId, workers.id))
    .where(eq(tasks.uuid, uuid))
    .get();
}

/** The workers on the task's failure list, by name. */
export function workersThatFailedTask(db: Db, taskId: number): WorkerRef[] {
  return db.orm
    .select(workerRef)
    .from(taskFailures)
    .innerJoin(workers, eq(taskFailures.workerId, workers.id))
    .where(eq(taskFailures.taskId, taskId))
    .orderBy(asc(workers.name))
    .all();
}
