// The worker's own lifecycle calls: sign-on, sign-off, polling for a requested state and
// reporting a state change. Each change reads the stored row inside its transaction and writes
// only its columns, so a concurrent status request is never lost to a stale snapshot.
import type { StoredWorkerStatus, WorkerStatus } from "../../shared/statuses";
import { updateWorker } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import { workerIdent } from "../state-machine/messages";
import type { WorkerServiceDeps } from "./deps";
import { reloadWorker } from "./lookup";
import { joinTaskTypes } from "./registration";
import { markSeen } from "./seen";
import { scheduledStatusOfWorker } from "./sleep-scheduler";

/** Statuses a worker returns to at its next sign-on when it signs off without a request. */
const REMEMBERED_STATUSES = new Set<StoredWorkerStatus>(["awake", "asleep"]);
/** Requests that a sign-off acknowledges (the worker sends no state-changed for them). */
const OFFLINE_STATUSES = new Set<StoredWorkerStatus>(["offline", "restart"]);

export interface SignOnInput {
  name: string;
  supportedTaskTypes: string[];
  softwareVersion: string;
  canRestart?: boolean;
}

/** Stores the worker's sign-on details and returns the status it should enter. */
export function signOn(
  deps: WorkerServiceDeps,
  worker: WorkerRow,
  input: SignOnInput,
  address: string,
): WorkerStatus {
  const now = deps.clock.now();
  return inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const prevStatus = reloadWorker(tx, worker).status;
    const saved = updateWorker(tx, worker.id, {
      status: "starting",
      address,
      name: input.name,
      software: input.softwareVersion,
      canRestart: input.canRestart === true,
      supportedTaskTypes: joinTaskTypes(input.supportedTaskTypes),
      lastSeenAt: now,
      updatedAt: now,
    });
    emit(workerUpdate(saved, prevStatus !== "" ? { previousStatus: prevStatus } : {}));
    return saved.statusRequested || scheduledStatusOfWorker(tx, saved.id, now);
  });
}

export function signOff(deps: WorkerServiceDeps, worker: WorkerRow): void {
  const now = deps.clock.now();
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const current = reloadWorker(tx, worker);
    let request = { status: current.statusRequested, lazy: current.lazyStatusRequest };
    if (OFFLINE_STATUSES.has(request.status)) request = { status: "", lazy: false };
    if (request.status === "" && REMEMBERED_STATUSES.has(current.status)) {
      request = { status: current.status, lazy: false };
    }
    const saved = updateWorker(tx, worker.id, {
      status: "offline",
      statusRequested: request.status,
      lazyStatusRequest: request.lazy,
      lastSeenAt: now,
      updatedAt: now,
    });
    deps.requeue.requeueWorkerTasks(tx, emit, saved, "worker signed off");
    emit(workerUpdate(saved, { previousStatus: current.status }));
  });
}

/** The pending status request the worker should act on, or null; marks the worker seen. */
export function workerState(
  deps: Pick<WorkerServiceDeps, "db" | "clock">,
  worker: WorkerRow,
): WorkerStatus | null {
  markSeen(deps.db, worker, deps.clock.now());
  return worker.statusRequested || null;
}

/**
 * The worker entered `status`. That acknowledges a request for it; a request for another
 * status stays pending (the worker may pass through intermediate states). Leaving `awake`
 * returns its tasks to the pool.
 */
export function workerStateChanged(deps: WorkerServiceDeps, worker: WorkerRow, status: WorkerStatus): void {
  const now = deps.clock.now();
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const current = reloadWorker(tx, worker);
    const acknowledged = current.statusRequested === "" || current.statusRequested === status;
    const saved = updateWorker(tx, worker.id, {
      status,
      ...(acknowledged ? { statusRequested: "", lazyStatusRequest: false } : {}),
      lastSeenAt: now,
      updatedAt: now,
    });
    if (current.status === "awake" && status !== "awake") {
      deps.requeue.requeueWorkerTasks(
        tx,
        emit,
        saved,
        `worker ${workerIdent(saved)} changed status to '${status}'`,
      );
    }
    emit(workerUpdate(saved, { previousStatus: current.status }));
  });
}
