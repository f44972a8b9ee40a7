// The event broker: the one way out for events. Services publish typed events after their
// transaction commits; the broker hands each to every listener and forwarder, serialised at most
// once, when the first of them needs the JSON (most events have no subscriber). Forwarders must not block (they enqueue), and a throwing one never affects others.

/** The event name of a payload type, as Flamenco's web client knows it. */
export type EventName =
  "/lifecycle" | "/status" | "/jobs" | "/task" | "/last-rendered" | "/tasklog" | "/workers" | "/workertags";

export interface BrokerEvent<P = unknown> {
  /** Room / MQTT topic suffix, e.g. `/jobs/{jobUUID}`. */
  topic: string;
  /** What kind of payload this is (the WebSocket event name). */
  event: EventName;
  payload: P;
}

export interface PublishedEvent extends BrokerEvent {
  /** The payload serialised on first read, then shared by all forwarders. */
  readonly json: string;
}

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

export function createEventBroker(log: (msg: string) => void = console.error): EventBroker {
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
          log(`event listener failed on ${event.topic}: ${String(err)}`);
        }
      }
      for (const f of forwarders) {
        try {
          f.forward(published);
        } catch (err) {
          log(`event forwarder ${f.name} failed on ${event.topic}: ${String(err)}`);
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
