// May-keep-running (see docs/worker-protocol.md): the question a worker asks every few seconds
// while running a task. The decision is the state machine's; this adds the bookkeeping around it.
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import { taskWithJobByUUID, touchTask } from "../db/queries/tasks";
import { workerById } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { inSharedTransaction } from "../db/transaction";
import { markSeen } from "../farm/seen";
import { mayKeepRunning, type MayKeepRunning } from "../state-machine/may-keep-running";

export function createMayIRun(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  /**
   * One transaction, so the answer never sees a half-done assignment by the scheduler. Asked
   * every few seconds by every running worker, so it shares the turn's commit; resolves once
   * that commit is done.
   */
  return function mayWorkerRun(authenticated: WorkerRow, taskUUID: string): Promise<MayKeepRunning> {
    return inSharedTransaction(db, (tx) => {
      const task = taskWithJobByUUID(tx, taskUUID);
      // An unknown task does not count as contact with the worker (Flamenco's rule).
      if (!task) return mayKeepRunning(authenticated, undefined);
      const worker = workerById(tx, authenticated.id) ?? authenticated;
      const answer = mayKeepRunning(worker, task);
      const now = clock.now();
      // Allowed to run means the worker is demonstrably on it: that restarts the task timeout.
      if (answer.mayKeepRunning) touchTask(tx, task.id, now);
      markSeen(tx, worker, now);
      return answer;
    });
  };
}

export type MayIRun = ReturnType<typeof createMayIRun>;
