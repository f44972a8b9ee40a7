// May-keep-running (workers.md §7): the question a worker asks every few seconds while running
// a task. The decision is the state machine's; this adds the bookkeeping around it.
import { eq, sql } from "drizzle-orm";
import type { Clock } from "../../shared/clock";
import { workerById } from "../db/rows";
import { tasks, type WorkerRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { Db } from "../db/types";
import type { EventBroker } from "../events/broker";
import { mayKeepRunning, type MayKeepRunning } from "../state-machine/may-keep-running";
import { markSeen } from "../farm/seen";

export function createMayIRun(deps: { db: Db; broker: EventBroker; clock: Clock }) {
  const { db, broker, clock } = deps;

  // Prepared once against the database handle; they run inside the question's transaction, as
  // the synchronous SQLite drivers have a single connection. Timestamps bind as stored: epoch ms.
  const taskByUUID = db
    .select({ id: tasks.id, workerId: tasks.workerId, status: tasks.status })
    .from(tasks)
    .where(eq(tasks.uuid, sql.placeholder("uuid")))
    .prepare();
  const touchTask = db
    .update(tasks)
    .set({ lastTouchedAt: sql`${sql.placeholder("nowMs")}`, updatedAt: sql`${sql.placeholder("nowMs")}` })
    .where(eq(tasks.id, sql.placeholder("id")))
    .prepare();

  /** One transaction, so the answer never sees a half-done assignment by the scheduler. */
  return function mayWorkerRun(authenticated: WorkerRow, taskUUID: string): MayKeepRunning {
    return inTransaction(
      db,
      broker,
      () => {
        const task = taskByUUID.get({ uuid: taskUUID });
        // An unknown task does not count as contact with the worker (Flamenco's rule).
        if (!task) return mayKeepRunning(authenticated, undefined);
        const worker = workerById(db, authenticated.id) ?? authenticated;
        const answer = mayKeepRunning(worker, task);
        const now = clock.now();
        // Allowed to run means the worker is demonstrably on it: that restarts the task timeout.
        if (answer.mayKeepRunning) touchTask.run({ nowMs: now.getTime(), id: task.id });
        markSeen(db, worker, now);
        return answer;
      },
      // Asked every few seconds by every running worker: shares the turn's commit.
      { shared: true },
    );
  };
}

export type MayIRun = ReturnType<typeof createMayIRun>;
