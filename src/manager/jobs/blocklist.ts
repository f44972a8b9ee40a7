// A job's blocklist as the API shows it: which workers may no longer run which task types.
import type { Db } from "../db/connection";
import { blocklistOfJob, unblockWorkerForJob } from "../db/queries/blocklist";
import { inTransaction } from "../db/transaction";
import type { JobService } from "./service";

export interface BlocklistEntry {
  worker_id: string;
  task_type: string;
  worker_name?: string;
}

export type BlocklistService = ReturnType<typeof createBlocklistService>;

export function createBlocklistService(deps: { db: Db; jobs: Pick<JobService, "findJob"> }) {
  const { db, jobs: jobsService } = deps;
  return {
    fetch(jobUUID: string): BlocklistEntry[] {
      const job = jobsService.findJob(jobUUID);
      return blocklistOfJob(db, job.id).map((b) => ({
        worker_id: b.workerUUID,
        task_type: b.taskType,
        worker_name: b.workerName,
      }));
    },

    /** Removes the given entries in one transaction; entries that do not exist are ignored. */
    remove(jobUUID: string, entries: BlocklistEntry[]): void {
      const job = jobsService.findJob(jobUUID);
      inTransaction(db, (tx) => {
        for (const e of entries) unblockWorkerForJob(tx, job.id, e.worker_id, e.task_type);
      });
    },
  };
}
