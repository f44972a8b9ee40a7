// May-keep-running (workers.md §7): the question a worker asks every few seconds while running
// a task. The decision is the state machine's; this adds the bookkeeping around it.
import { eq } from "drizzle-orm";
import type { Clock } from "../clock";
import { tasks, workers, type WorkerRow } from "../db/schema";
import type { Db } from "../db/types";
import { mayKeepRunning, type MayKeepRunning } from "../state/may-keep-running";
import { markSeen } from "../workers/seen";

export function createMayIRun(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  /** One transaction, so the answer never sees a half-done assignment by the scheduler. */
  return function mayWorkerRun(authenticated: WorkerRow, taskUUID: string): MayKeepRunning {
    return db.transaction(
      (tx) => {
        const task = tx.select().from(tasks).where(eq(tasks.uuid, taskUUID)).get();
        // An unknown task does not count as contact with the worker (Flamenco's rule).
        if (!task) return mayKeepRunning(authenticated, undefined);
        const worker = tx.select().from(workers).where(eq(workers.id, authenticated.id)).get() ?? authenticated;
        const answer = mayKeepRunning(worker, task);
        const now = clock.now();
        // Allowed to run means the worker is demonstrably on it: that restarts the task timeout.
        if (answer.mayKeepRunning) {
          tx.update(tasks).set({ lastTouchedAt: now, updatedAt: now }).where(eq(tasks.id, task.id)).run();
        }
        markSeen(tx, worker, now);
        return answer;
      },
      { behavior: "immediate" },
    );
  };
}

export type MayIRun = ReturnType<typeof createMayIRun>;
