// Queries on workers: rows by id and uuid, and the worker-level reads and writes of the services.
import { asc, desc, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { jobs, tasks, workers, type JobRow, type TaskRow, type WorkerRow } from "../schema";

function prepare(db: Db) {
  return {
    byId: db.orm
      .select()
      .from(workers)
      .where(eq(workers.id, sql.placeholder("id")))
      .prepare(),
    // Every authenticated worker call looks its worker up by UUID.
    byUUID: db.orm
      .select()
      .from(workers)
      .where(eq(workers.uuid, sql.placeholder("uuid")))
      .prepare(),
    // Binds epoch milliseconds, as the timestamp columns store them.
    seen: db.orm
      .update(workers)
      .set({ lastSeenAt: sql`${sql.placeholder("nowMs")}`, updatedAt: sql`${sql.placeholder("nowMs")}` })
      .where(eq(workers.id, sql.placeholder("id")))
      .prepare(),
  };
}

export function workerById(db: Db, id: number): WorkerRow | undefined {
  return db.memo(prepare).byId.get({ id });
}

export function workerByUUID(db: Db, uuid: string): WorkerRow | undefined {
  return db.memo(prepare).byUUID.get({ uuid });
}

/** Every worker, oldest first. */
export function allWorkers(db: Db): WorkerRow[] {
  return db.orm.select().from(workers).orderBy(asc(workers.id)).all();
}

export type NewWorker = Pick<
  typeof workers.$inferInsert,
  "uuid" | "name" | "secret" | "platform" | "address" | "supportedTaskTypes" | "createdAt" | "updatedAt"
>;

export function insertWorker(tx: Tx, worker: NewWorker): WorkerRow {
  return tx.orm.insert(workers).values(worker).returning().get();
}

/** The columns a service changes; the others stay as stored. */
export type WorkerChanges = Partial<
  Pick<
    typeof workers.$inferInsert,
    | "name"
    | "address"
    | "software"
    | "status"
    | "lastSeenAt"
    | "statusRequested"
    | "lazyStatusRequest"
    | "supportedTaskTypes"
    | "canRestart"
    | "updatedAt"
  >
>;

/** Writes `changes` and returns the row as saved; a missing worker is a broken invariant. */
export function updateWorker(tx: Tx, id: number, changes: WorkerChanges): WorkerRow {
  const saved = tx.orm.update(workers).set(changes).where(eq(workers.id, id)).returning().get();
  if (!saved) throw new Error(`worker ${id} does not exist`);
  return saved;
}

/** Stamps the worker's last contact (and its updated-at) with `now`. */
export function markWorkerSeen(tx: Tx, id: number, now: Date): void {
  tx.memo(prepare).seen.run({ nowMs: now.getTime(), id });
}

/** Removes the worker; its tag memberships, schedule and failure records go with it. */
export function deleteWorkerById(tx: Tx, id: number): void {
  tx.orm.delete(workers).where(eq(workers.id, id)).run();
}

export interface WorkerTaskRef {
  task: TaskRow;
  job: Pick<JobRow, "uuid">;
}

/** The task the worker runs now, else the one it touched last; null if it never had one. */
export function currentTaskOfWorker(db: Db, workerId: number): WorkerTaskRef | null {
  return (
    db.orm
      .select({ task: tasks, job: { uuid: jobs.uuid } })
      .from(tasks)
      .innerJoin(jobs, eq(jobs.id, tasks.jobId))
      .where(eq(tasks.workerId, workerId))
      .orderBy(
        desc(sql`(${tasks.status} = 'active' AND ${jobs.status} = 'active')`),
        desc(tasks.updatedAt),
        desc(tasks.id),
      )
      .limit(1)
      .get() ?? null
  );
}
