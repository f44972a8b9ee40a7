// Queries of the timeout checker: active tasks nobody touched and workers nobody heard from
// since a deadline. Each row of a list is re-checked inside the change that acts on it: it may
// have changed since the list was read (failing a task can fail its job and cancel its siblings).
import { and, asc, eq, isNotNull, lte, notInArray } from "drizzle-orm";
import type { WorkerStatus } from "../../../shared/statuses";
import type { Db } from "../connection";
import { tasks, workers, type TaskRow, type WorkerRow } from "../schema";

/** Statuses in which a worker is not expected to call in, so it cannot time out. */
const NOT_TIMING_OUT: WorkerStatus[] = ["error", "offline"];

/** Never-touched tasks (a null last-touched) do not match. */
function overdueTask(deadline: Date) {
  return and(eq(tasks.status, "active"), lte(tasks.lastTouchedAt, deadline));
}

/** Ids of the active tasks last touched at or before `deadline`, oldest first. */
export function timedOutTasks(db: Db, deadline: Date): number[] {
  return (
    db.orm
      .select({ id: tasks.id })
      .from(tasks)
      .where(overdueTask(deadline))
      // The partial index on active tasks finds them, so only those few are sorted.
      .orderBy(asc(tasks.lastTouchedAt), asc(tasks.id))
      .all()
      .map((r) => r.id)
  );
}

/** The task, if it is still active and untouched since `deadline`. */
export function timedOutTask(db: Db, id: number, deadline: Date): TaskRow | undefined {
  return db.orm
    .select()
    .from(tasks)
    .where(and(eq(tasks.id, id), overdueTask(deadline)))
    .get();
}

function overdueWorker(deadline: Date) {
  return and(
    isNotNull(workers.lastSeenAt),
    lte(workers.lastSeenAt, deadline),
    notInArray(workers.status, NOT_TIMING_OUT),
  );
}

/** Ids of the workers last seen at or before `deadline` that should have called in since. */
export function timedOutWorkers(db: Db, deadline: Date): number[] {
  return db.orm
    .select({ id: workers.id })
    .from(workers)
    .where(overdueWorker(deadline))
    .orderBy(asc(workers.id))
    .all()
    .map((r) => r.id);
}

/** The worker, if it still has not called in since `deadline` and should have. */
export function timedOutWorker(db: Db, id: number, deadline: Date): WorkerRow | undefined {
  return db.orm
    .select()
    .from(workers)
    .where(and(eq(workers.id, id), overdueWorker(deadline)))
    .get();
}
