import { afterEach, describe, expect, test } from "bun:test";
import net from "node:net";
import type { Server } from "bun";
import { z } from "zod";
import type { EventBroker } from "../../../../src/manager/events/broker";
import {
  WS_PATH,
  type WebSocketForwarder,
  type WebSocketForwarderOptions,
  type WsData,
  createWebSocketForwarder,
} from "../../../../src/manager/events/forwarders/websocket";
import {
  farmStatus,
  jobUpdate,
  lastRenderedUpdates,
  lifecycle,
  taskLogUpdate,
  taskUpdate,
  workerUpdate,
} from "../../../../src/manager/events/payloads";
import { jobRow, recordingBroker, taskRow, workerRow } from "../fixtures";
import { waitFor } from "../../../support/wait";

const JOB = jobRow().uuid;
const TASK = taskRow().uuid;
const WORKER = workerRow();

/** A server→client frame: an event, or an ack. Loose, so an unexpected key shows in comparisons. */
const Frame = z.looseObject({
  event: z.string(),
  topic: z.string().optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
  ack: z.string().optional(),
});
type Frame = z.infer<typeof Frame>;

/** A real WebSocket client that records every frame and closing code. */
class Client {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => this.frames.push(Frame.parse(JSON.parse(String(m.data))));
    ws.onclose = (e) => (this.closeCode = e.code);
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    const client = new Client(ws);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`could not connect to ${url}`));
    });
    return client;
  }

  events = () => this.frames.filter((f) => f.ack === undefined);
  acks = () => this.frames.filter((f) => f.ack !== undefined);

  /** Sends a raw message and waits for the server's ack. */
  async request(message: string): Promise<Frame> {
    const before = this.acks().length;
    this.ws.send(message);
    return waitFor("an ack", () => this.acks()[before]);
  }

  subscribe(type: string, uuid?: string, op = "subscribe"): Promise<Frame> {
    return this.request(JSON.stringify({ event: "/subscription", payload: { op, type, uuid } }));
  }
}

/** A client that does the upgrade by hand and then neither reads nor answers pings. */
async function rawClient(url: string, subscribeTo?: { type: string; uuid: string }): Promise<net.Socket> {
  const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(
    `GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  const head = await new Promise<string>((resolve) => socket.once("data", (d) => resolve(String(d))));
  expect(head).toStartWith("HTTP/1.1 101");
  if (subscribeTo) {
    // Client frames must be masked: FIN+text, masked length, key, payload XOR key.
    const payload = Buffer.from(
      JSON.stringify({ event: "/subscription", payload: { op: "subscribe", ...subscribeTo } }),
    );
    const key = Buffer.from([1, 2, 3, 4]);
    const header = Buffer.from([0x81, 0x80 | payload.length]);
    socket.write(Buffer.concat([header, key, payload.map((b, i) => b ^ key.readUInt8(i % 4))]));
  }
  socket.pause();
  return socket;
}

let server: Server<WsData> | null = null;
let forwarder: WebSocketForwarder;
let broker: EventBroker;
let logs: string[] = [];
const clients: Client[] = [];
const sockets: net.Socket[] = [];

function startServer(opts: WebSocketForwarderOptions = {}): string {
  const recording = recordingBroker();
  ({ broker, logs } = recording);
  forwarder = createWebSocketForwarder({ log: recording.log, ...opts });
  broker.addForwarder(forwarder.forwarder);
  const ws = forwarder;
  server = Bun.serve<WsData>({
    hostname: "127.0.0.1",
    port: 0,
    websocket: ws.websocket,
    fetch(req, srv) {
      if (new URL(req.url).pathname === WS_PATH) return ws.upgrade(req, srv);
      return new Response("not found", { status: 404 });
    },
  });
  return `ws://127.0.0.1:${server.port}${WS_PATH}`;
}

async function connect(url: string): Promise<Client> {
  const c = await Client.connect(url);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.close();
  for (const s of sockets.splice(0)) s.destroy();
  forwarder?.closeAll();
  await server?.stop(true);
  server = null;
});

describe("delivery by room", () => {
  test("every connection gets lifecycle and farm status without subscribing, and nothing else", async () => {
    const url = startServer();
    const c = await connect(url);
    await waitFor("the connection to register", () => forwarder.stats().connections === 1);
    broker.publish(jobUpdate(jobRow()));
    broker.publish(workerUpdate(WORKER));
    broker.publish(farmStatus("idle"));
    broker.publish(lifecycle("manager-startup"));
    await waitFor("two frames", () => c.events().length >= 2);
    expect(c.events()).toEqual([
      { event: "/status", topic: "/status", payload: { status: "idle" } },
      { event: "/lifecycle", topic: "/lifecycle", payload: { type: "manager-startup" } },
    ]);
  });

  test("job and tasklog subscribers get task updates and log chunks; others do not", async () => {
    const url = startServer();
    const watcher = await connect(url);
    const bystander = await connect(url);
    expect(await watcher.subscribe("job", JOB)).toEqual({ event: "/subscription", ack: "ok" });
    expect((await watcher.subscribe("tasklog", TASK)).ack).toBe("ok");
    expect((await bystander.subscribe("allWorkers")).ack).toBe("ok");

    const update = taskUpdate(taskRow(), JOB, WORKER, "queued");
    broker.publish(update);
    broker.publish(taskLogUpdate(TASK, "Blender 4.2 started\nFra:1 Mem:12M"));
    broker.publish(taskLogUpdate("ffffffff-0000-4000-8000-000000000000", "someone else's log"));
    broker.publish(lifecycle("manager-shutdown"));

    await waitFor("the watcher's frames", () => watcher.events().length >= 3);
    await waitFor("the bystander's sentinel", () => bystander.events().length >= 1);
    expect(watcher.events()).toEqual([
      { event: "/task", topic: `/jobs/${JOB}`, payload: update.payload },
      {
        event: "/tasklog",
        topic: `/tasklog/${TASK}`,
        payload: { task_id: TASK, log: "Blender 4.2 started\nFra:1 Mem:12M" },
      },
      { event: "/lifecycle", topic: "/lifecycle", payload: { type: "manager-shutdown" } },
    ]);
    expect(bystander.events().map((f) => f.event)).toEqual(["/lifecycle"]);
  });

  test("a client in two matching rooms gets one copy per room, as in Flamenco", async () => {
    const url = startServer();
    const c = await connect(url);
    await c.subscribe("allLastRendered");
    await c.subscribe("job", JOB);
    for (const e of lastRenderedUpdates(JOB, {
      base: "/job-files/job-5e7e/x",
      suffixes: ["last-rendered.jpg"],
    })) {
      broker.publish(e);
    }
    await waitFor("both copies", () => c.events().length >= 2);
    expect(c.events().map((f) => [f.event, f.topic])).toEqual([
      ["/last-rendered", `/jobs/${JOB}/last-rendered`],
      ["/last-rendered", "/last-rendered"],
    ]);
  });

  test("after unsubscribing, a client no longer gets the room's events", async () => {
    const url = startServer();
    const c = await connect(url);
    await c.subscribe("allJobs");
    broker.publish(jobUpdate(jobRow({ priority: 10 })));
    await waitFor("the first job update", () => c.events().length === 1);
    expect((await c.subscribe("allJobs", undefined, "unsubscribe")).ack).toBe("ok");
    broker.publish(jobUpdate(jobRow({ priority: 20 })));
    broker.publish(farmStatus("active"));
    await waitFor("the sentinel", () => c.events().length === 2);
    expect(c.events().map((f) => f.event)).toEqual(["/jobs", "/status"]);
  });
});

describe("subscription protocol over the socket", () => {
  test("replies ok, or the error string, and survives garbage", async () => {
    const url = startServer();
    const c = await connect(url);
    expect((await c.subscribe("job", JOB)).ack).toBe("ok");
    expect((await c.subscribe("job", "not-a-uuid")).ack).toBe("invalid UUID, ignoring request");
    expect((await c.subscribe("job")).ack).toBe("operation on job requires a UUID");
    expect((await c.subscribe("tasklog")).ack).toBe("operation on task requires a UUID");
    expect((await c.subscribe("everything")).ack).toBe("unknown subscription type, ignoring request");
    expect((await c.subscribe("allJobs", undefined, "join")).ack).toBe(
      "unable to perform subscription operation: invalid subscription operation, ignoring request",
    );
    expect(await c.request("{this is not json")).toEqual({
      event: "/subscription",
      ack: "invalid message: expected a JSON object, ignoring request",
    });
    expect(await c.request(JSON.stringify({ event: "/chat", payload: "hello" }))).toEqual({
      event: "/chat",
      ack: "unknown event, ignoring request",
    });
    // Still served after all that: the earlier job subscription is in place.
    broker.publish(taskUpdate(taskRow(), JOB, null));
    await waitFor("a task update", () => c.events().length === 1);
    expect(c.closeCode).toBeNull();
  });
});

describe("protecting the server", () => {
  test("a client that never reads is closed for exceeding its buffer; others keep receiving", async () => {
    const url = startServer({ maxBufferedBytes: 256 * 1024 });
    const good = await connect(url);
    await good.subscribe("tasklog", TASK);
    const slow = await rawClient(url, { type: "tasklog", uuid: TASK });
    sockets.push(slow);
    await waitFor("both connections", () => forwarder.stats().connections === 2);

    const chunk = "Fra:1 Mem:12M | Rendering tile ".padEnd(64 * 1024, "x");
    let published = 0;
    const deadline = Date.now() + 20_000;
    while (forwarder.stats().slowClientsClosed === 0) {
      if (Date.now() > deadline) throw new Error("the slow client was never closed");
      broker.publish(taskLogUpdate(TASK, chunk));
      published++;
      // The good client keeps up, as a live browser would; the silent one falls behind.
      await waitFor("the good client to read the chunk", () => good.events().length === published);
    }
    expect(forwarder.stats().connections).toBe(1);
    expect(logs.some((l) => l.includes("more than 262144 bytes unread"))).toBe(true);
    expect(good.closeCode).toBeNull();
    expect(good.events().every((f) => f.payload?.log === chunk)).toBe(true);

    // Reading at last, the slow client finds a close frame with 1008 after what was buffered.
    const received: Buffer[] = [];
    slow.on("data", (d: Buffer) => received.push(d));
    const ended = new Promise((resolve) => slow.once("close", resolve));
    slow.resume();
    await ended;
    const tail = Buffer.concat(received).subarray(-64);
    const close = tail.lastIndexOf(0x88);
    expect(close).toBeGreaterThanOrEqual(0);
    expect(tail.readUInt16BE(close + 2)).toBe(1008);
    expect(tail.subarray(close + 4).toString()).toBe("client too slow: send buffer limit exceeded");
  });

  test("connections beyond the cap are refused with 503 Error JSON", async () => {
    const url = startServer({ maxConnections: 2 });
    const httpURL = url.replace("ws://", "http://");
    const plain = await fetch(httpURL);
    expect(plain.status).toBe(400);
    expect(await plain.json()).toEqual({ code: 400, message: "expected a WebSocket upgrade request" });

    const first = await connect(url);
    await connect(url);
    const refused = await fetch(httpURL);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      code: 503,
      message: "too many WebSocket connections (at most 2)",
    });
    await expect(Client.connect(url)).rejects.toThrow();
    expect(forwarder.stats()).toMatchObject({ connections: 2, upgradesRefused: 2 });

    first.ws.close();
    await waitFor("a free slot", () => forwarder.stats().connections === 1);
    await connect(url);
  });

  test("a peer that never answers pings is dropped; a live one stays", async () => {
    const url = startServer({ pingIntervalMs: 250 });
    const live = await connect(url);
    sockets.push(await rawClient(url));
    await waitFor("both connections", () => forwarder.stats().connections === 2);
    await waitFor("the silent peer to be dropped", () => forwarder.stats().connections === 1);
    broker.publish(farmStatus("idle"));
    await waitFor("an event on the live connection", () => live.events().length === 1);
    expect(live.closeCode).toBeNull();
  });

  test("shutdown closes every connection with 1001 and refuses new ones", async () => {
    const url = startServer();
    const a = await connect(url);
    const b = await connect(url);
    forwarder.closeAll();
    await waitFor("both clients closed", () => a.closeCode !== null && b.closeCode !== null);
    expect([a.closeCode, b.closeCode]).toEqual([1001, 1001]);
    const res = await fetch(url.replace("ws://", "http://"));
    expect(res.status).toBe(503);
    const body: unknown = await res.json();
    expect(body).toMatchObject({ message: "the Manager is shutting down" });
  });
});
