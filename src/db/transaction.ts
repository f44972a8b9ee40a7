// One write, one transaction: runs a change in a SQLite transaction and publishes the events it
// collected only after the commit, so subscribers never see a change that was rolled back.
import type { BrokerEvent, EventBroker } from "../events/broker";
import type { Db, Tx } from "./types";

export type { Tx };
export type Emit = (event: BrokerEvent) => void;

export function inTransaction<T>(db: Db, broker: EventBroker, fn: (tx: Tx, emit: Emit) => T): T {
  const pending: BrokerEvent[] = [];
  const result = db.transaction((tx) => fn(tx as Tx, (e) => pending.push(e)), {
    behavior: "immediate",
  });
  for (const e of pending) broker.publish(e);
  return result;
}
