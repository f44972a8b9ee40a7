// What the state machines need from the rest of the Manager, passed in by the caller.
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import type { EventBroker } from "../events/broker";

/** Receives the lines the Manager itself writes into a task's log (it adds the timestamp). */
export interface TaskLogSink {
  appendManagerLine(jobUUID: string, taskUUID: string, line: string): void;
}

export interface FailureThresholds {
  /** Failed tasks of one type in one job after which a worker is blocklisted for that type. */
  blocklistThreshold: number;
  /** Distinct workers failing a task that make it a hard failure. */
  taskFailAfterSoftfailCount: number;
}

export interface StateMachineDeps {
  /** For the operations that open their own transaction (human status changes, start-up repair). */
  db: Db;
  broker: EventBroker;
  clock: Clock;
  taskLogs: TaskLogSink;
  log: (msg: string) => void;
  /** Read at every failure, so a configuration reload applies to the next one. */
  thresholds: () => FailureThresholds;
}
