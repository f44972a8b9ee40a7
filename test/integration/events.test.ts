// Events end to end: a real Manager with its MQTT forwarder pointed at a real mosquitto, a real
// MQTT subscriber and a real WebSocket client, while a scripted worker runs a job.
import { afterAll, beforeAll, expect, test } from "bun:test";
import mqtt, { type MqttClient } from "mqtt";
import { z } from "zod";
import {
  EventJobUpdate,
  EventTaskUpdate,
  EventWorkerTagUpdate,
  EventWorkerUpdate,
} from "../../src/manager/api/schemas/events";
import { startMosquitto, type Mosquitto } from "../support/mosquitto";
import { startTestManager, type TestManager } from "../support/manager";
import { waitFor } from "../support/wait";

interface Message {
  topic: string;
  payload: unknown;
}

/** The server→client frames that carry an event (acks have no payload). */
const EventFrame = z.object({ event: z.string(), topic: z.string(), payload: z.unknown() });
type EventFrame = z.infer<typeof EventFrame>;

// The fields the test reads from API answers.
const WithId = z.object({ id: z.string() });
const WithUUID = z.object({ uuid: z.string() });

let mosquitto: Mosquitto;
let m: TestManager;
let subscriber: MqttClient;
const mqttMessages: Message[] = [];
const wsFrames: EventFrame[] = [];
let ws: WebSocket;

beforeAll(async () => {
  mosquitto = await startMosquitto();
  m = await startTestManager({
    config: {
      mqtt: {
        client: {
          enabled: true,
          broker: mosquitto.url.replace("mqtt://", "tcp://"),
          clientID: "tablao-test",
        },
      },
    },
  });
  subscriber = await mqtt.connectAsync(mosquitto.url, {
    protocolVersion: 5,
    clientId: "observer",
    clean: false,
    reconnectPeriod: 100,
    properties: { sessionExpiryInterval: 300 },
  });
  subscriber.on("message", (topic, payload) => {
    const parsed: unknown = JSON.parse(String(payload));
    mqttMessages.push({ topic, payload: parsed });
  });
  await subscriber.subscribeAsync("flamenco/#", { qos: 1 });
  await waitFor("the Manager's MQTT connection", () => m.manager.mqttStats()?.connected);

  ws = new WebSocket(`${m.url.replace("http", "ws")}/ws`);
  ws.onmessage = (e) => {
    const frame = EventFrame.safeParse(JSON.parse(String(e.data)));
    if (frame.success && frame.data.payload) wsFrames.push(frame.data);
  };
  await new Promise((resolve) => (ws.onopen = resolve));
  ws.send(JSON.stringify({ event: "/subscription", payload: { op: "subscribe", type: "allJobs" } }));
  ws.send(JSON.stringify({ event: "/subscription", payload: { op: "subscribe", type: "allWorkers" } }));
});

afterAll(async () => {
  ws?.close();
  await subscriber?.endAsync();
  await m?.destroy();
  await mosquitto?.dispose();
});

async function api(method: string, path: string, body?: unknown, auth?: string) {
  const res = await fetch(`${m.url}/api/v3${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(auth ? { Authorization: `Basic ${btoa(auth)}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const answer: unknown = text ? JSON.parse(text) : null;
  return { status: res.status, body: answer };
}

/** Whether `payload` is a valid `schema` payload that matches. */
const matches = <T>(schema: z.ZodType<T>, payload: unknown, match: (p: T) => boolean) => {
  const parsed = schema.safeParse(payload);
  return parsed.success && match(parsed.data);
};

/** Waits for a message on `topic` that is a valid `schema` payload and matches. */
const mqttSeen = <T>(topic: string, schema: z.ZodType<T>, match: (p: T) => boolean) =>
  waitFor(`MQTT ${topic}`, () =>
    mqttMessages.find((x) => x.topic === topic && matches(schema, x.payload, match)),
  );

/** A WebSocket frame of `event` that is a valid `schema` payload and matches. */
const wsSeen = <T>(event: string, schema: z.ZodType<T>, match: (p: T) => boolean) =>
  wsFrames.find((f) => f.event === event && matches(schema, f.payload, match));

test("a job's life cycle, a worker's sign-on and sign-off and tag changes reach MQTT and WebSocket", async () => {
  const job = WithId.parse(
    (
      await api("POST", "/jobs", {
        name: "mqtt-job",
        type: "echo-sleep-test",
        priority: 50,
        submitter_platform: "linux",
        settings: { message: "hi", sleep_repeats: 0 },
      })
    ).body,
  );
  await mqttSeen(
    "flamenco/jobs",
    EventJobUpdate,
    (p) => p.id === job.id && p.status === "queued" && p.name === "mqtt-job",
  );

  const reg = await api("POST", "/worker/register-worker", {
    name: "mqtt-worker",
    secret: "s3cret-of-16-chars",
    platform: "linux",
    supported_task_types: ["misc"],
  });
  const auth = `${WithUUID.parse(reg.body).uuid}:s3cret-of-16-chars`;
  await api(
    "POST",
    "/worker/sign-on",
    { name: "mqtt-worker", supported_task_types: ["misc"], software_version: "3.9" },
    auth,
  );
  await api("POST", "/worker/state-changed", { status: "awake" }, auth);
  await mqttSeen(
    "flamenco/workers",
    EventWorkerUpdate,
    (p) => p.name === "mqtt-worker" && p.status === "awake" && p.previous_status === "starting",
  );

  const task = WithUUID.parse((await api("POST", "/worker/task", undefined, auth)).body);
  await mqttSeen(
    `flamenco/jobs/${job.id}`,
    EventTaskUpdate,
    (p) => p.id === task.uuid && p.status === "active",
  );
  await api(
    "POST",
    `/worker/task/${task.uuid}`,
    { log: "not sent over MQTT", taskStatus: "completed" },
    auth,
  );
  await mqttSeen(
    `flamenco/jobs/${job.id}`,
    EventTaskUpdate,
    (p) => p.id === task.uuid && p.status === "completed" && p.previous_status === "active",
  );
  await mqttSeen("flamenco/jobs", EventJobUpdate, (p) => p.id === job.id && p.status === "completed");

  await api("POST", "/worker/sign-off", undefined, auth);
  await mqttSeen(
    "flamenco/workers",
    EventWorkerUpdate,
    (p) => p.name === "mqtt-worker" && p.status === "offline" && p.previous_status === "awake",
  );

  const tag = WithId.parse(
    (await api("POST", "/worker-mgt/tags", { name: "gpu", description: "has a GPU" })).body,
  );
  await mqttSeen(
    "flamenco/workertags",
    EventWorkerTagUpdate,
    (p) => p.tag.name === "gpu" && p.tag.description === "has a GPU",
  );
  await api("PUT", `/worker-mgt/tag/${tag.id}`, { name: "gpu-fast" });
  await mqttSeen("flamenco/workertags", EventWorkerTagUpdate, (p) => p.tag.name === "gpu-fast");
  await api("DELETE", `/worker-mgt/tag/${tag.id}`);
  await mqttSeen(
    "flamenco/workertags",
    EventWorkerTagUpdate,
    (p) => p.tag.id === tag.id && p.was_deleted === true,
  );

  expect(mqttMessages.some((x) => x.topic.includes("tasklog"))).toBe(false);
  // The WebSocket client, subscribed to all jobs and workers, saw the same changes.
  await waitFor("WebSocket job completed", () =>
    wsSeen("/jobs", EventJobUpdate, (p) => p.id === job.id && p.status === "completed"),
  );
  await waitFor("WebSocket worker offline", () =>
    wsSeen("/workers", EventWorkerUpdate, (p) => p.name === "mqtt-worker" && p.status === "offline"),
  );
});

test("with mosquitto stopped the Manager keeps serving, reconnects, and later events arrive", async () => {
  await mosquitto.stop();
  await waitFor("the Manager to notice", () => m.manager.mqttStats()?.connected === false);
  const during = await api("POST", "/worker-mgt/tags", { name: "during-outage" });
  expect(during.status).toBe(200);
  expect((await api("GET", "/version")).status).toBe(200);

  await mosquitto.start();
  await waitFor("the Manager to reconnect", () => m.manager.mqttStats()?.connected, 15_000);
  await mqttSeen("flamenco/workertags", EventWorkerTagUpdate, (p) => p.tag.name === "during-outage");
  await api("POST", "/worker-mgt/tags", { name: "after-outage" });
  await mqttSeen("flamenco/workertags", EventWorkerTagUpdate, (p) => p.tag.name === "after-outage");
}, 30_000);
