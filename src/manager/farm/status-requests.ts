// Status-change requests from humans to workers: one pending slot per worker, lazy (after the
// current task) or immediate. Also the read side the scheduler uses to deliver them.
import type { WorkerStatus } from "../../shared/statuses";
import { updateWorker } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { ApiError, badRequest } from "../errors";
import { emitAfterCommit } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import type { ChangeDeps } from "./deps";
import { requireWorker } from "./lookup";

/** Statuses a human may send a worker to; Flamenco accepts any, even `starting` or `error`. */
const REQUESTABLE_STATUSES = new Set<WorkerStatus>(["awake", "asleep", "offline", "restart"]);

export interface StatusRequest {
  status: WorkerStatus;
  isLazy: boolean;
}

/** Any pending request: scheduleTask answers 423 with it, GET state and sign-on return it. */
export function pendingStatusRequest(worker: WorkerRow): StatusRequest | null {
  return worker.statusRequested ? { status: worker.statusRequested, isLazy: worker.lazyStatusRequest } : null;
}

/** Whether may-i-run must stop the running task: only an immediate (non-lazy) request does. */
export function statusRequestAbortsTask(worker: WorkerRow): boolean {
  return worker.statusRequested !== "" && !worker.lazyStatusRequest;
}

/**
 * Records the request, overwriting any earlier one. Asking for the worker's current status
 * cancels a pending request. Restart only for workers that said they can (412 otherwise).
 */
export function requestWorkerStatusChange(
  deps: ChangeDeps,
  workerUUID: string,
  request: StatusRequest,
): void {
  const now = deps.clock.now();
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const worker = requireWorker(tx, workerUUID);
    if (request.status === "restart" && !worker.canRestart) {
      throw new ApiError(412, `worker ${JSON.stringify(workerUUID)} does not know how to restart`);
    }
    const cancel = request.status === worker.status;
    if (!cancel && !REQUESTABLE_STATUSES.has(request.status)) {
      throw badRequest(
        `a worker cannot be asked to go to status ${JSON.stringify(request.status)}; ` +
          `use one of ${[...REQUESTABLE_STATUSES].join(", ")}`,
      );
    }
    const saved = updateWorker(tx, worker.id, {
      statusRequested: cancel ? "" : request.status,
      lazyStatusRequest: cancel ? false : request.isLazy,
      updatedAt: now,
    });
    emit(workerUpdate(saved));
  });
}
