// Queries on a job's blocklist as people see and edit it (the failure handling adds to it, see
// task-failures.ts).
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { jobBlocks, workers } from "../schema";

export interface BlocklistRow {
  workerUUID: string;
  workerName: string;
  taskType: string;
}

/** The job's blocked (worker, task type) pairs, by worker name and task type. */
export function blocklistOfJob(db: Db, jobId: number): BlocklistRow[] {
  return db.orm
    .select({ workerUUID: workers.uuid, workerName: workers.name, taskType: jobBlocks.taskType })
    .from(jobBlocks)
    .innerJoin(workers, eq(jobBlocks.workerId, workers.id))
    .where(eq(jobBlocks.jobId, jobId))
    .orderBy(asc(workers.name), asc(jobBlocks.taskType))
    .all();
}

/** Lets the worker run tasks of this type in this job again; an unknown worker changes nothing. */
export function unblockWorkerForJob(tx: Tx, jobId: number, workerUUID: string, taskType: string): void {
  tx.orm
    .delete(jobBlocks)
    .where(
      and(
        eq(jobBlocks.jobId, jobId),
        inArray(
          jobBlocks.workerId,
          tx.orm.select({ id: workers.id }).from(workers).where(eq(workers.uuid, workerUUID)),
        ),
        eq(jobBlocks.taskType, taskType),
      ),
    )
    .run();
}
