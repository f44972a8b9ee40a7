// Worker management for humans: listing and inspecting workers, deleting them (their tasks go
// back to the pool and the row is removed) and assigning tags.
import type { Db } from "../db/connection";
import { replaceTagsOfWorker, tagsOfWorker } from "../db/queries/worker-tags";
import { allWorkers, currentTaskOfWorker, deleteWorkerById, type WorkerTaskRef } from "../db/queries/workers";
import type { WorkerRow, WorkerTagRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import type { ChangeDeps, WorkerServiceDeps } from "./deps";
import { requireWorker } from "./lookup";

export function listWorkers(db: Db): WorkerRow[] {
  return allWorkers(db);
}

export interface WorkerDetails {
  worker: WorkerRow;
  tags: WorkerTagRow[];
  /** The task it runs now, else the one it touched last; null if it never had one. */
  task: WorkerTaskRef | null;
}

export function workerDetails(db: Db, workerUUID: string): WorkerDetails {
  const worker = requireWorker(db, workerUUID);
  return { worker, tags: tagsOfWorker(db, worker.id), task: currentTaskOfWorker(db, worker.id) };
}

/**
 * Returns the worker's active tasks to the pool, then removes it (no soft delete: tag
 * memberships, its schedule and failure records go with it) and announces it with `deleted_at`.
 */
export function deleteWorker(deps: WorkerServiceDeps, workerUUID: string): void {
  const now = deps.clock.now();
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const worker = requireWorker(tx, workerUUID);
    deps.requeue.requeueWorkerTasks(tx, emit, worker, "worker is being deleted");
    deleteWorkerById(tx, worker.id);
    emit(workerUpdate(worker, { deletedAt: now }));
  });
}

/** Replaces the worker's tags; unknown tag ids are ignored, as in Flamenco. */
export function setWorkerTags(deps: ChangeDeps, workerUUID: string, tagUUIDs: string[]): void {
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const worker = requireWorker(tx, workerUUID);
    replaceTagsOfWorker(tx, worker.id, tagUUIDs);
    emit(workerUpdate(worker));
  });
}
