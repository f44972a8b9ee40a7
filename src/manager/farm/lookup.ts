// Loading workers and tags by their public UUID, with Flamenco's 404 wording when absent.
import { eq } from "drizzle-orm";
import { workerById } from "../db/rows";
import { workers, workerTags, type WorkerRow, type WorkerTagRow } from "../db/schema";
import type { DbOrTx } from "../db/types";
import { notFound } from "../errors";

export function findWorker(db: DbOrTx, uuid: string): WorkerRow | undefined {
  return db.select().from(workers).where(eq(workers.uuid, uuid)).get();
}

export function requireWorker(db: DbOrTx, uuid: string): WorkerRow {
  const worker = findWorker(db, uuid);
  if (!worker) throw notFound(`worker ${JSON.stringify(uuid)} not found`);
  return worker;
}

/** The stored row behind an (older) snapshot, e.g. the one loaded at authentication. */
export function reloadWorker(db: DbOrTx, worker: Pick<WorkerRow, "id" | "uuid">): WorkerRow {
  const row = workerById(db, worker.id);
  if (!row) throw notFound(`worker ${JSON.stringify(worker.uuid)} not found`);
  return row;
}

export function requireTag(db: DbOrTx, uuid: string): WorkerTagRow {
  const tag = db.select().from(workerTags).where(eq(workerTags.uuid, uuid)).get();
  if (!tag) throw notFound(`worker tag ${JSON.stringify(uuid)} not found`);
  return tag;
}
