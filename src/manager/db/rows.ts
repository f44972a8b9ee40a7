// Job and worker rows by primary key, prepared once per connection and shared by every service
// that loads them inside its transaction (the scheduler, status changes, timeouts, requeues…).
import { eq, sql } from "drizzle-orm";
import { perConnection } from "./prepared";
import { jobs, workers, type JobRow, type WorkerRow } from "./schema";
import type { DbOrTx } from "./types";

const byId = perConnection((db: DbOrTx) => ({
  job: db
    .select()
    .from(jobs)
    .where(eq(jobs.id, sql.placeholder("id")))
    .prepare(),
  worker: db
    .select()
    .from(workers)
    .where(eq(workers.id, sql.placeholder("id")))
    .prepare(),
}));

export function jobById(db: DbOrTx, id: number): JobRow | undefined {
  return byId(db).job.get({ id });
}

/** The job of a task or change in progress: its absence is a broken invariant, not bad input. */
export function requireJob(db: DbOrTx, id: number): JobRow {
  const job = jobById(db, id);
  if (!job) throw new Error(`job ${id} does not exist`);
  return job;
}

export function workerById(db: DbOrTx, id: number): WorkerRow | undefined {
  return byId(db).worker.get({ id });
}
