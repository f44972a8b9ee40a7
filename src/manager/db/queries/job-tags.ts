// Queries on the worker tags of jobs: the tag a tag change names, the tag UUID a job shows, and
// the change of a job's tag. (Lookups by UUID and the list of tags are in worker-tags.ts.)
import { eq } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { jobs, workerTags, type JobRow } from "../schema";

export function workerTagIdByName(db: Db, name: string): number | undefined {
  return db.orm.select({ id: workerTags.id }).from(workerTags).where(eq(workerTags.name, name)).get()?.id;
}

export function workerTagUUIDById(db: Db, id: number): string | undefined {
  return db.orm.select({ uuid: workerTags.uuid }).from(workerTags).where(eq(workerTags.id, id)).get()?.uuid;
}

/** Restricts the job to the tag's workers (null: any worker); returns the saved job. */
export function setJobWorkerTag(tx: Tx, jobId: number, workerTagId: number | null, now: Date): JobRow {
  return tx.orm.update(jobs).set({ workerTagId, updatedAt: now }).where(eq(jobs.id, jobId)).returning().get();
}
