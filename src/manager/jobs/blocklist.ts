// A job's blocklist as the API shows it: which workers may no longer run which task types.
import { and, asc, eq } from "drizzle-orm";
import { jobBlocks, workers } from "../db/schema";
import type { Db } from "../db/types";
import type { JobService } from "./service";

export interface BlocklistEntry {
  worker_id: string;
  task_type: string;
  worker_name?: string;
}

export function createBlocklistService(db: Db, jobsService: Pick<JobService, "findJob">) {
  return {
    fetch(jobUUID: string): BlocklistEntry[] {
      const job = jobsService.findJob(jobUUID);
      return db
        .select({ worker_id: workers.uuid, task_type: jobBlocks.taskType, worker_name: workers.name })
        .from(jobBlocks)
        .innerJoin(workers, eq(jobBlocks.workerId, workers.id))
        .where(eq(jobBlocks.jobId, job.id))
        .orderBy(asc(workers.name), asc(jobBlocks.taskType))
        .all();
    },

    /** Removes the given entries in one transaction; entries that do not exist are ignored. */
    remove(jobUUID: string, entries: BlocklistEntry[]): void {
      const job = jobsService.findJob(jobUUID);
      db.transaction((tx) => {
        for (const e of entries) {
          const worker = tx
            .select({ id: workers.id })
            .from(workers)
            .where(eq(workers.uuid, e.worker_id))
            .get();
          if (!worker) continue;
          tx.delete(jobBlocks)
            .where(
              and(
                eq(jobBlocks.jobId, job.id),
                eq(jobBlocks.workerId, worker.id),
                eq(jobBlocks.taskType, e.task_type),
              ),
            )
            .run();
        }
      });
    },
  };
}
