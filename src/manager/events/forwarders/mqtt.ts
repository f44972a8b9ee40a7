// The MQTT forwarder for home automation: events go to `<topic_prefix><topic>` (QoS 1, not
// retained) through a bounded queue, with one sender that pauses on any disconnect, resends
// unacknowledged events first after reconnecting, and reconnects with back-off forever.
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { MqttSettings } from "../../config";
import { createLogger, type Logger } from "../../../shared/log";
import { type Clock, systemClock } from "../../../shared/clock";
import type { Forwarder, PublishedEvent } from "../broker";

export const MQTT_QUEUE_SIZE = 1000;
export const MQTT_RECONNECT_MIN_MS = 250;
export const MQTT_RECONNECT_MAX_MS = 30_000;
export const MQTT_CONNECT_TIMEOUT_MS = 10_000;
export const MQTT_KEEPALIVE_S = 30;
/** Unacknowledged publishes at once; lowered further to the broker's Receive Maximum. */
export const MQTT_MAX_INFLIGHT = 32;
export const MQTT_DROP_LOG_INTERVAL_MS = 10_000;
/** How long `close()` waits for queued events to be acknowledged. */
export const MQTT_CLOSE_DRAIN_TIMEOUT_MS = 2_000;

/** The `mqtt.client` settings of flamenco-manager.yaml. */
export type MqttForwarderConfig = MqttSettings;

export interface MqttForwarderOptions {
  log?: Logger;
  clock?: Clock;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export interface MqttStats {
  connected: boolean;
  /** Waiting to be published (excluding `inflight`). */
  queued: number;
  /** Published, waiting for the broker's PUBACK. */
  inflight: number;
  sent: number;
  dropped: number;
}

export interface MqttForwarder {
  forwarder: Forwarder;
  stats(): MqttStats;
  /** Waits briefly for queued events to go out, then disconnects; no reconnects after this. */
  close(): Promise<void>;
}

interface Outgoing {
  topic: string;
  json: string;
}

const MQTT_PROTOCOLS: Record<string, IClientOptions["protocol"]> = {
  "tcp:": "mqtt",
  "mqtt:": "mqtt",
  "ssl:": "mqtts",
  "tls:": "mqtts",
  "mqtts:": "mqtts",
  "ws:": "ws",
  "wss:": "wss",
};

/** Turns a broker URL into mqtt.js connection options, or explains why it can't. */
function brokerOptions(broker: string): IClientOptions | string {
  let url: URL;
  try {
    url = new URL(broker);
  } catch {
    return `broker URL ${JSON.stringify(broker)} cannot be parsed`;
  }
  const protocol = MQTT_PROTOCOLS[url.protocol];
  if (!protocol) return `broker URL ${JSON.stringify(broker)} has unsupported scheme ${url.protocol}`;
  if (!url.hostname) return `broker URL ${JSON.stringify(broker)} has no host`;
  return {
    protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    ...(protocol === "ws" || protocol === "wss" ? { path: url.pathname + url.search } : {}),
  };
}

/**
 * Returns null (with an error log when enabled) if MQTT is off or misconfigured, like Flamenco.
 * Never waits for the broker: the Manager starts and serves while it is unreachable.
 */
export function createMqttForwarder(
  config: MqttForwarderConfig,
  opts: MqttForwarderOptions = {},
): MqttForwarder | null {
  const log = opts.log ?? createLogger();
  if (!config.enabled) return null;
  const broker = config.broker.trim();
  if (!broker) {
    log("error", "mqtt: enabled but no broker URL configured; not forwarding events");
    return null;
  }
  const connection = brokerOptions(broker);
  if (typeof connection === "string") {
    log("error", `mqtt: ${connection}; not forwarding events`);
    return null;
  }
  const clock = opts.clock ?? systemClock;
  const queueSize = Math.max(1, config.queueSize ?? MQTT_QUEUE_SIZE);
  const reconnectMinMs = opts.reconnectMinMs ?? MQTT_RECONNECT_MIN_MS;
  const reconnectMaxMs = opts.reconnectMaxMs ?? MQTT_RECONNECT_MAX_MS;
  const prefix = config.topicPrefix;

  const queue: Outgoing[] = [];
  let inflight: Outgoing[] = [];
  let maxInflight = Math.min(MQTT_MAX_INFLIGHT, queueSize);
  let connected = false;
  let closing = false;
  /** Bumped on every disconnect, so late callbacks of the old connection are ignored. */
  let epoch = 0;
  let pumpScheduled = false;
  let reconnectDelayMs = reconnectMinMs;
  let reconnectTimer: unknown = null;
  let lastError = "";
  let sent = 0;
  let dropped = 0;
  let droppedSinceLog = 0;
  let lastDropLogAt = Number.NEGATIVE_INFINITY;
  let onDrained: (() => void) | null = null;

  let client: MqttClient;
  try {
    client = mqtt.connect({
      ...connection,
      protocolVersion: 5,
      // The configuration loader already replaced a blank ID with Flamenco's default.
      clientId: config.clientID.trim(),
      ...(config.username ? { username: config.username } : {}),
      ...(config.password ? { password: config.password } : {}),
      clean: true,
      keepalive: MQTT_KEEPALIVE_S,
      connectTimeout: MQTT_CONNECT_TIMEOUT_MS,
      // Reconnects are ours (with back-off), so mqtt.js never resends on its own.
      reconnectPeriod: 0,
    });
  } catch (err) {
    log("error", `mqtt: cannot create a client for ${broker}: ${String(err)}; not forwarding events`);
    return null;
  }

  function noteDrop() {
    dropped++;
    droppedSinceLog++;
    const now = clock.now().getTime();
    if (now - lastDropLogAt < MQTT_DROP_LOG_INTERVAL_MS) return;
    log(
      "warn",
      `mqtt: queue full (${queueSize} events${connected ? "" : ", broker disconnected"}); ` +
        `dropped ${droppedSinceLog} event(s), oldest first; ${dropped} in total`,
    );
    droppedSinceLog = 0;
    lastDropLogAt = now;
  }

  function schedulePump() {
    if (pumpScheduled || !connected) return;
    pumpScheduled = true;
    queueMicrotask(pump);
  }

  function pump() {
    pumpScheduled = false;
    while (connected && inflight.length < maxInflight) {
      const item = queue.shift();
      if (item === undefined) break;
      inflight.push(item);
      const sentIn = epoch;
      client.publish(item.topic, item.json, { qos: 1, retain: false }, (err) => {
        if (sentIn !== epoch) return;
        const i = inflight.indexOf(item);
        if (i >= 0) inflight.splice(i, 1);
        const reasonCode = err && "code" in err ? err.code : undefined;
        if (!err || typeof reasonCode === "number") {
          // A PUBACK with an error reason is the broker's verdict on this message: retrying won't
          // help. (mqtt.js passes "no matching subscribers" as success.)
          if (err) log("warn", `mqtt: broker refused ${item.topic}: ${err.message}`);
          sent++;
        } else {
          queue.unshift(item);
        }
        if (queue.length === 0 && inflight.length === 0) onDrained?.();
        schedulePump();
      });
    }
  }

  function pause() {
    if (!connected) return;
    connected = false;
    epoch++;
    queue.unshift(...inflight);
    inflight = [];
  }

  /** Forgets mqtt.js's copies of the lost connection's unacknowledged publishes: we resend them. */
  function discardClientInflight() {
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
  }

  function scheduleReconnect() {
    if (closing || reconnectTimer !== null) return;
    const delay = reconnectDelayMs;
    reconnectDelayMs = Math.min(reconnectDelayMs * 2, reconnectMaxMs);
    reconnectTimer = clock.setTimeout(() => {
      reconnectTimer = null;
      if (!closing) client.reconnect();
    }, delay);
  }

  client.on("connect", (connack) => {
    connected = true;
    reconnectDelayMs = reconnectMinMs;
    lastError = "";
    const receiveMaximum = connack.properties?.receiveMaximum ?? MQTT_MAX_INFLIGHT;
    maxInflight = Math.max(1, Math.min(MQTT_MAX_INFLIGHT, receiveMaximum, queueSize));
    log(
      "info",
      `mqtt: connected to ${broker}${queue.length ? `, sending ${queue.length} queued event(s)` : ""}`,
    );
    schedulePump();
  });
  client.on("disconnect", (packet) => {
    log("warn", `mqtt: broker sent DISCONNECT (reason ${packet.reasonCode ?? 0})`);
    pause();
  });
  client.on("close", () => {
    const wasConnected = connected;
    pause();
    discardClientInflight();
    if (wasConnected && !closing) log("warn", `mqtt: connection to ${broker} lost; reconnecting`);
    scheduleReconnect();
  });
  client.on("error", (err) => {
    // Retries fail the same way until the broker is back; say it once.
    if (err.message === lastError) return;
    lastError = err.message;
    log("warn", `mqtt: ${err.message}`);
  });

  const forwarder: Forwarder = {
    name: "mqtt",
    forward(event: PublishedEvent) {
      // Task logs are too chatty for MQTT, as in Flamenco.
      if (closing || event.event === "/tasklog") return;
      if (queue.length + inflight.length >= queueSize) {
        // The oldest waiting event makes room, so a consumer catching up ends on current state.
        if (queue.length > 0) queue.shift();
        noteDrop();
        if (queue.length + inflight.length >= queueSize) return;
      }
      queue.push({ topic: prefix + event.topic, json: event.json });
      schedulePump();
    },
  };

  return {
    forwarder,
    stats: () => ({ connected, queued: queue.length, inflight: inflight.length, sent, dropped }),
    async close() {
      if (closing) return;
      if (connected && queue.length + inflight.length > 0) {
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(resolve, MQTT_CLOSE_DRAIN_TIMEOUT_MS);
          onDrained = () => {
            clock.clearTimeout(timer);
            resolve();
          };
        });
        onDrained = null;
      }
      closing = true;
      if (reconnectTimer !== null) clock.clearTimeout(reconnectTimer);
      reconnectTimer = null;
      // A graceful end waits for every PUBACK, so only when nothing is outstanding.
      await client.endAsync(!(connected && inflight.length === 0));
    },
  };
}
