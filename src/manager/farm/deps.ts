// What the worker services need from the rest of the Manager, passed in by the caller.
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import type { EventBroker } from "../events/broker";
import type { WorkerRequeue } from "../state-machine/requeue";

/** Enough to make a change and announce it after the commit. */
export interface ChangeDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
}

export interface WorkerServiceDeps extends ChangeDeps {
  /** The state machine's way of returning a worker's active tasks to the pool. */
  requeue: Pick<WorkerRequeue, "requeueWorkerTasks">;
}
