// Loading workers and tags by their public UUID, with Flamenco's 404 wording when absent.
import type { Db } from "../db/connection";
import { workerTagByUUID } from "../db/queries/worker-tags";
import { workerById, workerByUUID } from "../db/queries/workers";
import type { WorkerRow, WorkerTagRow } from "../db/schema";
import { notFound } from "../errors";

export function requireWorker(db: Db, uuid: string): WorkerRow {
  const worker = workerByUUID(db, uuid);
  if (!worker) throw notFound(`worker ${JSON.stringify(uuid)} not found`);
  return worker;
}

/** The stored row behind an (older) snapshot, e.g. the one loaded at authentication. */
export function reloadWorker(db: Db, worker: Pick<WorkerRow, "id" | "uuid">): WorkerRow {
  const row = workerById(db, worker.id);
  if (!row) throw notFound(`worker ${JSON.stringify(worker.uuid)} not found`);
  return row;
}

export function requireTag(db: Db, uuid: string): WorkerTagRow {
  const tag = workerTagByUUID(db, uuid);
  if (!tag) throw notFound(`worker tag ${JSON.stringify(uuid)} not found`);
  return tag;
}
