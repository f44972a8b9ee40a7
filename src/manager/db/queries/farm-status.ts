// Queries of the farm status: how many workers and jobs are in each status.
import { count, inArray } from "drizzle-orm";
import type { JobStatus, StoredWorkerStatus } from "../../../shared/statuses";
import type { Db } from "../connection";
import { jobs, workers } from "../schema";

/** Workers per stored status; statuses nobody is in are absent. */
export function workerStatusCounts(db: Db): Partial<Record<StoredWorkerStatus, number>> {
  const rows = db.orm
    .select({ status: workers.status, n: count() })
    .from(workers)
    .groupBy(workers.status)
    .all();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Jobs per status, of the given statuses only; statuses no job is in are absent. */
export function jobStatusCounts(db: Db, statuses: readonly JobStatus[]): Partial<Record<JobStatus, number>> {
  const rows = db.orm
    .select({ status: jobs.status, n: count() })
    .from(jobs)
    .where(inArray(jobs.status, statuses))
    .groupBy(jobs.status)
    .all();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
