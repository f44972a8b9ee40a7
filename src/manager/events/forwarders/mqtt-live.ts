// The MQTT forwarder kept in step with the configuration: started with the Manager, and when the
// saved `mqtt.client` settings differ from the ones in use, the old forwarder leaves the broker
// (finishing what it queued, as on shutdown) and a new one with the new settings takes its place.
import { isDeepStrictEqual } from "node:util";
import type { MqttSettings } from "../../config";
import type { Clock } from "../../../shared/clock";
import type { Logger } from "../../../shared/log";
import type { EventBroker } from "../broker";
import { createMqttForwarder, type MqttForwarder, type MqttStats } from "./mqtt";

export interface LiveMqttDeps {
  broker: EventBroker;
  /** Read at start and at every settingsChanged(). */
  settings: () => MqttSettings;
  log: Logger;
  clock: Clock;
}

export function createLiveMqttForwarder(deps: LiveMqttDeps) {
  const { broker, settings, log, clock } = deps;
  let running = false;
  let current: MqttForwarder | null = null;
  let inUse: MqttSettings | null = null;
  const closing = new Set<Promise<void>>();

  function open(): void {
    inUse = structuredClone(settings());
    current = createMqttForwarder(inUse, { log, clock });
    if (current) broker.addForwarder(current.forwarder);
  }

  function retire(): void {
    const old = current;
    current = null;
    if (!old) return;
    broker.removeForwarder(old.forwarder);
    const closed = old.close().finally(() => closing.delete(closed));
    closing.add(closed);
  }

  return {
    start(): void {
      running = true;
      open();
    },
    /** Replaces the forwarder when the settings changed since it was made. */
    settingsChanged(): void {
      if (!running || isDeepStrictEqual(settings(), inUse)) return;
      retire();
      open();
      log(
        "info",
        current ? "mqtt: settings changed, forwarding with the new ones" : "mqtt: forwarding stopped",
      );
    },
    stats: (): MqttStats | null => current?.stats() ?? null,
    /** Stops forwarding; resolves when every forwarder, old ones included, is closed. */
    async close(): Promise<void> {
      running = false;
      retire();
      await Promise.all(closing);
    },
  };
}
