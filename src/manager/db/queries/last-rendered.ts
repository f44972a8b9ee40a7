// Queries of the last-rendered images: the farm-wide pointer at the job that most recently got
// an image, and whether a job may still get one.
import { eq } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { jobs, lastRendereds } from "../schema";

/** The pointer is the one row of last_rendereds. */
const LAST_RENDERED_ROW_ID = 1;

/** The job's id; null once it is deleted or marked for deletion (its folder must not come back). */
export function liveJobIdByUUID(db: Db, jobUUID: string): number | null {
  const job = db.orm
    .select({ id: jobs.id, deleteRequestedAt: jobs.deleteRequestedAt })
    .from(jobs)
    .where(eq(jobs.uuid, jobUUID))
    .get();
  return job && !job.deleteRequestedAt ? job.id : null;
}

export function setLastRenderedJob(tx: Tx, jobId: number): void {
  tx.orm
    .insert(lastRendereds)
    .values({ id: LAST_RENDERED_ROW_ID, jobId })
    .onConflictDoUpdate({ target: lastRendereds.id, set: { jobId } })
    .run();
}

/** The UUID of the job that most recently got an image; null when none has. */
export function lastRenderedJobUUID(db: Db): string | null {
  const row = db.orm
    .select({ uuid: jobs.uuid })
    .from(lastRendereds)
    .innerJoin(jobs, eq(jobs.id, lastRendereds.jobId))
    .where(eq(lastRendereds.id, LAST_RENDERED_ROW_ID))
    .get();
  return row?.uuid ?? null;
}
