// The may-i-run decision (see docs/worker-protocol.md): how cancelling or pausing reaches a worker
// that is running a task. Pure; the caller holds the scheduler lock and touches the task.
import type { TaskRow, WorkerRow } from "../db/schema";
import { stopReasons } from "./messages";
import { WORKER_RUNNABLE } from "./statuses";

export interface MayKeepRunning {
  mayKeepRunning: boolean;
  reason: string;
  statusChangeRequested: boolean;
}

export function mayKeepRunning(
  worker: Pick<WorkerRow, "id" | "statusRequested" | "lazyStatusRequest">,
  task: Pick<TaskRow, "workerId" | "status"> | undefined,
): MayKeepRunning {
  const stop = (reason: string, statusChangeRequested = false) => ({
    mayKeepRunning: false,
    reason,
    statusChangeRequested,
  });
  if (!task) return stop(stopReasons.taskNotFound);
  if (worker.statusRequested !== "" && !worker.lazyStatusRequest)
    return stop(stopReasons.statusChangeRequested, true);
  if (task.workerId !== worker.id) return stop(stopReasons.notAssigned);
  if (!(WORKER_RUNNABLE as readonly string[]).includes(task.status))
    return stop(stopReasons.nonRunnable(task.status));
  return { mayKeepRunning: true, reason: "", statusChangeRequested: false };
}
