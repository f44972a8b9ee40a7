import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import mqtt, { type MqttClient } from "mqtt";
import type { EventBroker } from "../../../../src/manager/events/broker";
import {
  type MqttForwarder,
  type MqttForwarderConfig,
  createMqttForwarder,
} from "../../../../src/manager/events/forwarders/mqtt";
import {
  farmStatus,
  jobUpdate,
  lastRenderedUpdates,
  lifecycle,
  taskLogUpdate,
  taskUpdate,
  workerTagUpdate,
  workerUpdate,
} from "../../../../src/manager/events/payloads";
import { EventJobUpdate } from "../../../../src/manager/api/schemas/events";
import { type Mosquitto, startMosquitto } from "../../../support/mosquitto";
import type { Logger } from "../../../../src/shared/log";
import { jobRow, recordingBroker, taskRow, workerRow } from "../fixtures";
import { waitFor } from "../../../support/wait";

interface Received {
  topic: string;
  payload: unknown;
  qos: number;
  retain: boolean;
}

/** A real subscriber with a persistent session, so it misses nothing across broker restarts. */
async function observe(port: number, filter: string, clientId: string) {
  const received: Received[] = [];
  const client = await mqtt.connectAsync({
    protocol: "mqtt",
    hostname: "127.0.0.1",
    port,
    protocolVersion: 5,
    clientId,
    clean: false,
    reconnectPeriod: 100,
    properties: { sessionExpiryInterval: 300 },
  });
  client.on("message", (topic, payload, packet) =>
    received.push({ topic, payload: JSON.parse(String(payload)), qos: packet.qos, retain: packet.retain }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

let mosquitto: Mosquitto;
let broker: EventBroker;
let logs: string[];
let log: Logger;
const forwarders: MqttForwarder[] = [];
const observers: MqttClient[] = [];
let observerCount = 0;

function config(overrides: Partial<MqttForwarderConfig> = {}): MqttForwarderConfig {
  return {
    enabled: true,
    broker: mosquitto.url.replace("mqtt://", "tcp://"),
    clientID: "tablao-test",
    topicPrefix: "flamenco",
    username: "",
    password: "",
    ...overrides,
  };
}

function forwarder(overrides: Partial<MqttForwarderConfig> = {}): MqttForwarder {
  const f = createMqttForwarder(config(overrides), { log });
  if (!f) throw new Error(`no forwarder: ${logs.join("; ")}`);
  forwarders.push(f);
  broker.addForwarder(f.forwarder);
  return f;
}

async function observer(filter: string) {
  const o = await observe(mosquitto.port, filter, `observer-${++observerCount}`);
  observers.push(o.client);
  return o.received;
}

beforeAll(async () => {
  mosquitto = await startMosquitto();
});
afterAll(async () => {
  await mosquitto.dispose();
});
beforeEach(() => {
  ({ broker, logs, log } = recordingBroker());
});
afterEach(async () => {
  if (!mosquitto.running) await mosquitto.start();
  for (const f of forwarders.splice(0)) await f.close();
  for (const o of observers.splice(0)) await o.endAsync(true);
});

describe("creation", () => {
  test("disabled or misconfigured MQTT yields no forwarder, with a reason when enabled", () => {
    const seen: string[] = [];
    const log = (_level: string, m: string) => seen.push(m);
    expect(createMqttForwarder({ ...config(), enabled: false }, { log })).toBeNull();
    expect(seen).toEqual([]);
    expect(createMqttForwarder({ ...config(), broker: "  " }, { log })).toBeNull();
    expect(createMqttForwarder({ ...config(), broker: "not a url" }, { log })).toBeNull();
    expect(createMqttForwarder({ ...config(), broker: "http://localhost:1883" }, { log })).toBeNull();
    expect(seen).toEqual([
      "mqtt: enabled but no broker URL configured; not forwarding events",
      'mqtt: broker URL "not a url" cannot be parsed; not forwarding events',
      'mqtt: broker URL "http://localhost:1883" has unsupported scheme http:; not forwarding events',
    ]);
  });
});

describe("publishing", () => {
  test("events go to prefixed topics as JSON, QoS 1, not retained; task logs are never sent", async () => {
    const received = await observer("flamenco/#");
    const f = forwarder({ clientID: "  tablao-topics  " });
    const job = jobRow();
    const events = [
      jobUpdate(job, { previousStatus: "queued", refreshTasks: true }),
      taskUpdate(taskRow(), job.uuid, workerRow(), "queued"),
      taskLogUpdate(taskRow().uuid, "Fra:1 Mem:12M"),
      ...lastRenderedUpdates(job.uuid, {
        base: `/job-files/job-5e7e/${job.uuid}`,
        suffixes: ["last-rendered.jpg"],
      }),
      workerUpdate(workerRow()),
      workerTagUpdate({
        id: 1,
        createdAt: job.createdAt,
        updatedAt: job.updatedAt,
        uuid: job.uuid,
        name: "gpu",
        description: "",
      }),
      farmStatus("active"),
      lifecycle("manager-startup"),
    ];
    for (const e of events) broker.publish(e);

    const expected = events.filter((e) => e.event !== "/tasklog");
    await waitFor("every event but the task log", () => received.length === expected.length);
    expect(received.map((r) => r.topic)).toEqual([
      "flamenco/jobs",
      `flamenco/jobs/${job.uuid}`,
      `flamenco/jobs/${job.uuid}/last-rendered`,
      "flamenco/last-rendered",
      "flamenco/workers",
      "flamenco/workertags",
      "flamenco/status",
      "flamenco/lifecycle",
    ]);
    expect(received.map((r) => r.payload)).toEqual(expected.map((e) => e.payload));
    expect(received.every((r) => r.qos === 1 && !r.retain)).toBe(true);
    await waitFor("the broker's acks", () => f.stats().inflight === 0);
    expect(f.stats()).toEqual({ connected: true, queued: 0, inflight: 0, sent: expected.length, dropped: 0 });
  });

  test("an empty prefix yields topics starting with a slash", async () => {
    const received = await observer("/#");
    const f = forwarder({ clientID: "tablao-noprefix", topicPrefix: "" });
    await waitFor("the connection", () => f.stats().connected);
    broker.publish(jobUpdate(jobRow()));
    await waitFor("the job update", () => received.length === 1);
    expect(received[0]?.topic).toBe("/jobs");
  });
});

describe("broker outages", () => {
  test("the Manager starts while the broker is down; queued events go out once it is up", async () => {
    const received = await observer("flamenco/#");
    await mosquitto.stop();
    const f = forwarder({ clientID: "tablao-late" });
    broker.publish(farmStatus("idle"));
    broker.publish(farmStatus("active"));
    expect(f.stats()).toMatchObject({ connected: false, queued: 2, sent: 0 });

    await mosquitto.start();
    await waitFor("the queued events", () => received.length === 2, 10_000);
    expect(received.map((r) => r.payload)).toEqual([{ status: "idle" }, { status: "active" }]);
    await waitFor("the broker's acks", () => f.stats().inflight === 0);
    expect(f.stats()).toMatchObject({ connected: true, queued: 0, sent: 2, dropped: 0 });
  });

  test("events published while the broker is down are delivered after reconnecting, beyond the bound dropped", async () => {
    const received = await observer("flamenco/#");
    const f = forwarder({ clientID: "tablao-outage", queueSize: 5 });
    const job = (i: number) => jobUpdate(jobRow({ priority: i }));
    broker.publish(job(1));
    await waitFor("the first event", () => received.length === 1);

    await mosquitto.stop();
    await waitFor("the forwarder to notice", () => !f.stats().connected);
    for (let i = 2; i <= 9; i++) broker.publish(job(i));
    expect(f.stats()).toMatchObject({ connected: false, queued: 5, dropped: 3 });
    expect(logs.filter((l) => l.includes("dropped"))).toHaveLength(1);
    expect(logs.some((l) => l.includes("queue full (5 events, broker disconnected)"))).toBe(true);

    await mosquitto.start();
    await waitFor("the queued events", () => received.length === 6, 10_000);
    broker.publish(job(10));
    await waitFor("a fresh event", () => received.length === 7);
    // The oldest were dropped; what was kept arrives in order.
    expect(received.map((r) => EventJobUpdate.parse(r.payload).priority)).toEqual([1, 5, 6, 7, 8, 9, 10]);
    await waitFor("the broker's acks", () => f.stats().inflight === 0);
    expect(f.stats()).toMatchObject({ connected: true, queued: 0, sent: 7, dropped: 3 });
  });

  test("events in flight when the broker goes away are resent, not lost", async () => {
    const received = await observer("flamenco/#");
    const f = forwarder({ clientID: "tablao-inflight" });
    await waitFor("the connection", () => f.stats().connected);
    const count = 300;
    for (let i = 0; i < count; i++) broker.publish(jobUpdate(jobRow({ stepsCompleted: i })));
    await Promise.resolve();
    expect(f.stats().inflight).toBeGreaterThan(0);
    await mosquitto.stop();
    await mosquitto.start();

    await waitFor("every event at least once", () => new Set(received.map(steps)).size === count, 15_000);
    // At-least-once: a resend may duplicate, but first arrivals keep the publish order.
    const firstSeen = [...new Set(received.map(steps))];
    expect(firstSeen).toEqual(Array.from({ length: count }, (_, i) => i));
    await waitFor("the broker's acks", () => f.stats().inflight === 0 && f.stats().queued === 0);
    expect(f.stats()).toEqual({ connected: true, queued: 0, inflight: 0, sent: count, dropped: 0 });
  });
});

describe("closing", () => {
  test("close sends what is still queued (the shutdown event), then disconnects", async () => {
    const received = await observer("flamenco/#");
    const f = forwarder({ clientID: "tablao-close" });
    await waitFor("the connection", () => f.stats().connected);
    broker.publish(lifecycle("manager-shutdown"));
    await f.close();
    expect(f.stats()).toMatchObject({ connected: false, queued: 0, inflight: 0, sent: 1 });
    await waitFor("the shutdown event", () => received.length === 1);
    expect(received[0]?.payload).toEqual({ type: "manager-shutdown" });
  });

  test("with the broker down, close returns without waiting for it", async () => {
    await mosquitto.stop();
    const f = forwarder({ clientID: "tablao-close-down" });
    broker.publish(lifecycle("manager-shutdown"));
    const started = performance.now();
    await f.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(f.stats()).toMatchObject({ connected: false, queued: 1, sent: 0 });
  });
});

function steps(r: Received): number {
  return EventJobUpdate.parse(r.payload).steps_completed;
}
