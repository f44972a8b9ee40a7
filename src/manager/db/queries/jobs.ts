// Queries on jobs: rows by id and the job-level reads and writes of the services.
import { asc, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { jobs, type JobRow } from "../schema";

function prepare(db: Db) {
  return {
    byId: db.orm
      .select()
      .from(jobs)
      .where(eq(jobs.id, sql.placeholder("id")))
      .prepare(),
    byUUID: db.orm
      .select()
      .from(jobs)
      .where(eq(jobs.uuid, sql.placeholder("uuid")))
      .prepare(),
  };
}

export function jobById(db: Db, id: number): JobRow | undefined {
  return db.memo(prepare).byId.get({ id });
}

export function jobByUUID(db: Db, uuid: string): JobRow | undefined {
  return db.memo(prepare).byUUID.get({ uuid });
}

/** The job of a task or change in progress: its absence is a broken invariant, not bad input. */
export function requireJob(db: Db, id: number): JobRow {
  const job = jobById(db, id);
  if (!job) throw new Error(`job ${id} does not exist`);
  return job;
}

/** Every job, oldest first. */
export function allJobs(db: Db): JobRow[] {
  return db.orm.select().from(jobs).orderBy(asc(jobs.id)).all();
}

/** Returns the saved job. */
export function setJobPriority(tx: Tx, jobId: number, priority: number, now: Date): JobRow {
  return tx.orm.update(jobs).set({ priority, updatedAt: now }).where(eq(jobs.id, jobId)).returning().get();
}

/** Restricts the job to the tag's workers (null: any worker); returns the saved job. */
export function setJobWorkerTag(tx: Tx, jobId: number, workerTagId: number | null, now: Date): JobRow {
  return tx.orm.update(jobs).set({ workerTagId, updatedAt: now }).where(eq(jobs.id, jobId)).returning().get();
}
