// The event broker: the one way out for events. Services publish typed events after their
// transaction commits; the broker hands each to every listener and forwarder, serialised at most
// once, when the first of them needs the JSON (most events have no subscriber). Forwarders must
// not block (they enqueue), and a throwing one never affects others.
import type { z } from "zod";
import type * as wire from "../api/schemas/events";
import type { StoredWorkerStatus } from "../../shared/statuses";

/**
 * A worker that registered but never signed on has the status "", which the event of its next
 * change (a sign-off, say) carries as the previous status. The wire schema, like Flamenco's,
 * lists only real statuses there; the type admits what is actually sent.
 */
type WorkerUpdatePayload = Omit<z.infer<typeof wire.EventWorkerUpdate>, "previous_status"> & {
  previous_status?: StoredWorkerStatus;
};

/** The payload of each event, keyed by the event name Flamenco's web client knows. */
export interface EventPayloads {
  "/lifecycle": z.infer<typeof wire.EventLifeCycle>;
  "/status": z.infer<typeof wire.EventFarmStatus>;
  "/jobs": z.infer<typeof wire.EventJobUpdate>;
  "/task": z.infer<typeof wire.EventTaskUpdate>;
  "/last-rendered": z.infer<typeof wire.EventLastRenderedUpdate>;
  "/tasklog": z.infer<typeof wire.EventTaskLogUpdate>;
  "/workers": WorkerUpdatePayload;
  "/workertags": z.infer<typeof wire.EventWorkerTagUpdate>;
  "/audit": z.infer<typeof wire.EventAudit>;
  "/database-check": z.infer<typeof wire.EventDatabaseCheck>;
}

export type EventName = keyof EventPayloads;

/**
 * An event of one of the names in `E` (any by default): a union discriminated by `event`, so
 * checking the name narrows the payload.
 */
export type BrokerEvent<E extends EventName = EventName> = {
  [K in E]: {
    /** Room / MQTT topic suffix, e.g. `/jobs/{jobUUID}`. */
    topic: string;
    /** What kind of payload this is (the WebSocket event name). */
    event: K;
    payload: EventPayloads[K];
  };
}[E];

/** Publishes an event of a change, once the change is committed. */
export type Emit = (event: BrokerEvent) => void;

/**
 * The Emit of one change (a transaction, see inTransaction): its events reach the broker after
 * its commit, in order with its other after-commit work, and never after a rollback.
 */
export function emitAfterCommit(broker: EventBroker, change: { afterCommit(fn: () => void): void }): Emit {
  return (event) => change.afterCommit(() => broker.publish(event));
}

export type PublishedEvent<E extends EventName = EventName> = BrokerEvent<E> & {
  /** The payload serialised on first read, then shared by all forwarders. */
  readonly json: string;
};

export interface Forwarder {
  readonly name: string;
  /** Must return quickly: enqueue, never await the network. */
  forward(event: PublishedEvent): void;
}

export type Listener = (event: PublishedEvent) => void;

export interface EventBroker {
  publish(event: BrokerEvent): void;
  addForwarder(f: Forwarder): void;
  removeForwarder(f: Forwarder): void;
  /** In-process listeners (e.g. farm status) run before forwarders. Returns an unsubscribe. */
  listen(l: Listener): () => void;
}

export function createEventBroker(warn: (msg: string) => void = console.error): EventBroker {
  const forwarders: Forwarder[] = [];
  const listeners = new Set<Listener>();
  return {
    publish(event) {
      let json: string | undefined;
      const published: PublishedEvent = {
        ...event,
        get json() {
          return (json ??= JSON.stringify(event.payload));
        },
      };
      for (const l of listeners) {
        try {
          l(published);
        } catch (err) {
          warn(`event listener failed on ${event.topic}: ${String(err)}`);
        }
      }
      for (const f of forwarders) {
        try {
          f.forward(published);
        } catch (err) {
          warn(`event forwarder ${f.name} failed on ${event.topic}: ${String(err)}`);
        }
      }
    },
    addForwarder: (f) => void forwarders.push(f),
    removeForwarder(f) {
      const i = forwarders.indexOf(f);
      if (i >= 0) forwarders.splice(i, 1);
    },
    listen(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
