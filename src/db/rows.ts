// Job and worker rows by primary key, prepared once per connection: the scheduler, task status
// changes, may-I-run and failure handling all load the same rows inside their transactions.
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

export function workerById(db: DbOrTx, id: number): WorkerRow | undefined {
  return byId(db).worker.get({ id });
}
