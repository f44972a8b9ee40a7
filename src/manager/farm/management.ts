// Worker management for humans: listing and inspecting workers, deleting them (their tasks go
// back to the pool and the row is removed) and assigning tags.
import { asc, desc, eq, inArray, sql } from "drizzle-orm";
import {
  jobs,
  tasks,
  workerTagMembership,
  workerTags,
  workers,
  type WorkerRow,
  type WorkerTagRow,
} from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import { workerUpdate } from "../events/payloads";
import type { ChangeDeps, WorkerServiceDeps } from "./deps";
import { requireWorker } from "./lookup";
import { tagsOfWorker } from "./tags";
import type { WorkerTaskRef } from "./views";

export function listWorkers(db: DbOrTx): WorkerRow[] {
  return db.select().from(workers).orderBy(asc(workers.id)).all();
}

export interface WorkerDetails {
  worker: WorkerRow;
  tags: WorkerTagRow[];
  /** The task it runs now, else the one it touched last; null if it never had one. */
  task: WorkerTaskRef | null;
}

export function workerDetails(db: DbOrTx, workerUUID: string): WorkerDetails {
  const worker = requireWorker(db, workerUUID);
  const task =
    db
      .select({ task: tasks, job: { uuid: jobs.uuid } })
      .from(tasks)
      .innerJoin(jobs, eq(jobs.id, tasks.jobId))
      .where(eq(tasks.workerId, worker.id))
      .orderBy(
        desc(sql`(${tasks.status} = 'active' AND ${jobs.status} = 'active')`),
        desc(tasks.updatedAt),
        desc(tasks.id),
      )
      .limit(1)
      .get() ?? null;
  return { worker, tags: tagsOfWorker(db, worker.id), task };
}

/**
 * Returns the worker's active tasks to the pool, then removes it (no soft delete: tag
 * memberships, its schedule and failure records go with it) and announces it with `deleted_at`.
 */
export function deleteWorker(deps: WorkerServiceDeps, workerUUID: string): void {
  const now = deps.clock.now();
  inTransaction(deps.db, deps.broker, (tx, emit) => {
    const worker = requireWorker(tx, workerUUID);
    deps.requeue.requeueWorkerTasks(tx, emit, worker, "worker is being deleted");
    tx.delete(workers).where(eq(workers.id, worker.id)).run();
    emit(workerUpdate(worker, { deletedAt: now }));
  });
}

/** Replaces the worker's tags; unknown tag ids are ignored, as in Flamenco. */
export function setWorkerTags(deps: ChangeDeps, workerUUID: string, tagUUIDs: string[]): void {
  inTransaction(deps.db, deps.broker, (tx, emit) => {
    const worker = requireWorker(tx, workerUUID);
    const found =
      tagUUIDs.length === 0
        ? []
        : tx.select({ id: workerTags.id }).from(workerTags).where(inArray(workerTags.uuid, tagUUIDs)).all();
    tx.delete(workerTagMembership).where(eq(workerTagMembership.workerId, worker.id)).run();
    if (found.length > 0) {
      tx.insert(workerTagMembership)
        .values(found.map((t) => ({ workerTagId: t.id, workerId: worker.id })))
        .run();
    }
    emit(workerUpdate(worker));
  });
}
