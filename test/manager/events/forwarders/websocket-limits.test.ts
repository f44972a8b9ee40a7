// The WebSocket forwarder's bounds against real clients: clients that stop reading (raw sockets
// that complete the handshake, then never read, so the server sees real backpressure), too many
// connections from one address, too many rooms, oversized messages, and many closes at once.
import { describe, expect, test } from "bun:test";
import {
  WS_CLIENT_SEND_BUFFER_BYTES,
  WS_CLOSE_BATCH_SIZE,
  WS_MAX_CLIENT_MESSAGE_BYTES,
  WS_MAX_CONNECTIONS_PER_ADDRESS,
} from "../../../../src/manager/events/forwarders/websocket-limits";
import { farmStatus, jobUpdate, taskLogUpdate, workerUpdate } from "../../../../src/manager/events/payloads";
import { jobRow, taskRow, workerRow } from "../fixtures";
import {
  type RawClient,
  type ServerFrame,
  connectNonReading,
  connectRaw,
} from "../../../support/raw-websocket";
import { Client, type WebSocketServer, serverPerTest } from "../websocket-harness";
import { waitFor } from "../../../support/wait";

const TASK = taskRow().uuid;
const OTHER_TASK = "b2c3d4e5-3333-4f60-9bac-1d2e3f4a5b6c";
const CHUNK = "Fra:1 Mem:12M | Rendering tile ".padEnd(64 * 1024, "x");
/** Room for the kernel's buffers (a few MiB) to fill before a client that never reads falls behind. */
const PUBLISH_DEADLINE_MS = 20_000;

const { start, rawClients } = serverPerTest();

async function nonReading(s: WebSocketServer, tasks: string[], localAddress?: string): Promise<RawClient> {
  const c = await connectNonReading(
    s.url,
    tasks.map((uuid) => ({ type: "tasklog", uuid })),
    { localAddress },
  );
  rawClients.push(c);
  return c;
}

/**
 * Publishes task-log chunks for `task` until `done`, each read by `reader` before the next (as a
 * live dashboard would), so the only clients that fall behind are the ones that do not read.
 * Returns how many it published.
 */
async function publishUntil(
  s: WebSocketServer,
  reader: Client,
  task: string,
  done: () => boolean,
): Promise<number> {
  const deadline = Date.now() + PUBLISH_DEADLINE_MS;
  let published = 0;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still not done after ${PUBLISH_DEADLINE_MS} ms of events`);
    const before = reader.events().length;
    s.broker.publish(taskLogUpdate(task, CHUNK));
    published++;
    await waitFor("the reader to get the chunk", () => reader.events().length > before);
  }
  return published;
}

/** The events a raw client got before its close frame, and that close frame. */
function splitAtClose(frames: ServerFrame[]) {
  const events = frames.flatMap((f) => (f.kind === "text" && !f.text.includes('"ack"') ? [f.text] : []));
  return { events, last: frames[frames.length - 1] };
}

describe("clients that do not read", () => {
  test("one that falls more than 1 MiB behind is closed with 1008 and a reason, and its backlog released", async () => {
    const s = start();
    const reader = await s.connect();
    await reader.subscribe("tasklog", TASK);
    const slow = await nonReading(s, [TASK]);

    const published = await publishUntil(s, reader, TASK, () => s.forwarder.stats().slowClientsClosed === 1);
    expect(s.logs).toContain(
      "websocket: closing client 127.0.0.1: too slow: more than 1 MiB of events unread",
    );
    // Its backlog is let go at once; the socket is closed in a later turn.
    expect(s.forwarder.stats().unreadBytes).toBe(0);
    await waitFor("the slow client to be gone", () => s.forwarder.stats().connections === 1);

    // Reading at last, it finds whole events, then the close frame: not a connection cut short.
    const { frames, trailingBytes } = await slow.readToEnd();
    const { events, last } = splitAtClose(frames);
    expect(trailingBytes).toBe(0);
    expect(last).toEqual({ kind: "close", code: 1008, reason: "too slow: more than 1 MiB of events unread" });
    expect(events.every((e) => e.includes(CHUNK))).toBe(true);
    // What it never got is what the Manager held for it when it closed it: about the bound, give
    // or take one event (and the tail of a write that Bun held and delivered).
    const frameBytes = Buffer.byteLength(events[0] ?? "");
    const droppedBytes = (published - events.length) * frameBytes;
    expect(droppedBytes).toBeGreaterThan(WS_CLIENT_SEND_BUFFER_BYTES - 2 * frameBytes);
    expect(droppedBytes).toBeLessThanOrEqual(WS_CLIENT_SEND_BUFFER_BYTES + frameBytes);

    expect(reader.closeCode).toBeNull();
    expect(reader.events().every((f) => f.payload?.log === CHUNK)).toBe(true);
  });

  test("ten are closed while five readers keep getting every event, in order", async () => {
    const s = start();
    const readers = await Promise.all(Array.from({ length: 5 }, () => s.connect()));
    for (const r of readers) await r.subscribe("allJobs");
    const slow = await Promise.all(
      Array.from({ length: 10 }, () => connectNonReading(s.url, [{ type: "allJobs" }])),
    );
    rawClients.push(...slow);

    // Job updates carrying a sequence number (in steps_completed), several per flush.
    const big = "Shot 010 lighting ".padEnd(16 * 1024, "~");
    let sent = 0;
    const deadline = Date.now() + PUBLISH_DEADLINE_MS;
    while (s.forwarder.stats().slowClientsClosed < slow.length) {
      if (Date.now() > deadline) throw new Error("the slow clients were not all closed");
      for (let i = 0; i < 8; i++) s.broker.publish(jobUpdate(jobRow({ name: big, stepsCompleted: sent++ })));
      await waitFor("the readers to catch up", () => readers.every((r) => r.events().length === sent));
    }
    expect(s.forwarder.stats().unreadBytes).toBe(0);
    await waitFor("the slow clients to be gone", () => s.forwarder.stats().connections === readers.length);
    for (const r of readers) {
      expect(r.closeCode).toBeNull();
      expect(r.events().map((f) => f.payload?.steps_completed)).toEqual([...Array(sent).keys()]);
    }
    const first = await slow[0]?.readToEnd();
    expect(first && splitAtClose(first.frames).last).toMatchObject({ kind: "close", code: 1008 });
  });

  test("past the send budget, the client furthest behind is closed first and the others stay", async () => {
    const s = start({ sendBudgetBytes: 512 * 1024 });
    const reader = await s.connect();
    await reader.subscribe("tasklog", TASK);
    await reader.subscribe("tasklog", OTHER_TASK);
    const far = await nonReading(s, [TASK, OTHER_TASK]);
    const near = await nonReading(s, [TASK]);

    // Only `far` gets these: it alone falls behind, by about half the budget.
    await publishUntil(s, reader, OTHER_TASK, () => s.forwarder.stats().unreadBytes >= 256 * 1024);
    expect(s.forwarder.stats().slowClientsClosed).toBe(0);
    // Both get these: `far`, further behind, goes over the budget first, long before its own bound.
    await publishUntil(s, reader, TASK, () => s.forwarder.stats().slowClientsClosed === 1);

    const reason = "too slow: furthest behind when all clients had more than 512 KiB unread";
    expect(s.logs).toContain(`websocket: closing client 127.0.0.1: ${reason}`);
    expect(splitAtClose((await far.readToEnd()).frames).last).toEqual({ kind: "close", code: 1008, reason });
    // The reader and `near` are still connected.
    await waitFor("the far client to be gone", () => s.forwarder.stats().connections === 2);
    expect(s.forwarder.stats().slowClientsClosed).toBe(1);
    expect(near.socket.destroyed).toBe(false);
    expect(reader.closeCode).toBeNull();
  });
});

describe("connection and message limits", () => {
  test(`the ${WS_MAX_CONNECTIONS_PER_ADDRESS + 1}rd connection from one address gets 429; another address still gets in`, async () => {
    const s = start();
    const clients = await Promise.all(
      Array.from({ length: WS_MAX_CONNECTIONS_PER_ADDRESS }, () => s.connect()),
    );

    const refused = await connectRaw(s.url);
    rawClients.push(refused);
    expect(refused.status).toStartWith("HTTP/1.1 429");
    expect(JSON.parse(refused.body)).toEqual({
      code: 429,
      message: "too many WebSocket connections from 127.0.0.1 (at most 32 per client address)",
    });
    await expect(Client.connect(s.url)).rejects.toThrow();

    const elsewhere = await connectRaw(s.url, { localAddress: "127.0.0.2" });
    rawClients.push(elsewhere);
    expect(elsewhere.status).toStartWith("HTTP/1.1 101");
    expect(s.forwarder.stats()).toMatchObject({ connections: 33, upgradesRefused: 2 });

    clients[0]?.ws.close();
    await waitFor("a free slot for 127.0.0.1", () => s.forwarder.stats().connections === 32);
    await s.connect();
  });

  test("a subscription past the room limit is refused with an ack, and the connection stays", async () => {
    // Every connection is in two rooms already; allJobs adds one, a job two.
    const s = start({ maxRoomsPerConnection: 4 });
    const c = await s.connect();
    expect((await c.subscribe("allJobs")).ack).toBe("ok");
    expect((await c.subscribe("job", jobRow().uuid)).ack).toBe(
      "too many subscriptions: at most 4 rooms per connection, ignoring request",
    );
    // Subscribing again to a room it is in costs nothing; a fourth room still fits.
    expect((await c.subscribe("allJobs")).ack).toBe("ok");
    expect((await c.subscribe("allWorkers")).ack).toBe("ok");

    s.broker.publish(jobUpdate(jobRow()));
    s.broker.publish(workerUpdate(workerRow()));
    s.broker.publish(farmStatus("idle"));
    await waitFor("three events", () => c.events().length === 3);
    expect(c.events().map((f) => f.topic)).toEqual(["/jobs", "/workers", "/status"]);
    expect(c.closeCode).toBeNull();
  });

  test("a client message over 16 KiB closes the connection with 1009; one under it is answered", async () => {
    const s = start();
    const c = await s.connect();
    expect((await c.request("x".repeat(WS_MAX_CLIENT_MESSAGE_BYTES))).ack).toBe(
      "invalid message: expected a JSON object, ignoring request",
    );
    c.ws.send("x".repeat(WS_MAX_CLIENT_MESSAGE_BYTES + 1));
    await waitFor("the close", () => c.closeCode !== null);
    expect(c.closeCode).toBe(1009);
    await waitFor("the connection to be gone", () => s.forwarder.stats().connections === 0);
  });
});

/**
 * Watches the open connections once per event-loop turn (setImmediate, the phase the closing
 * queue runs in) until stopped, and returns how many went in each turn: the closes can be seen
 * to come in batches spread over turns, with the loop free for I/O between them. How long each
 * turn takes is bench/websocket-clients.ts's to measure, not a test's.
 */
function closesPerTurn(s: WebSocketServer): { stop(): number[] } {
  const drops: number[] = [];
  let last = s.forwarder.stats().connections;
  let running = true;
  const look = () => {
    const now = s.forwarder.stats().connections;
    if (now < last) drops.push(last - now);
    last = now;
  };
  const everyTurn = () => {
    if (!running) return;
    look();
    setImmediate(everyTurn);
  };
  setImmediate(everyTurn);
  return {
    stop() {
      running = false;
      // What went since the last turn's look.
      look();
      return drops;
    },
  };
}

describe("the event loop stays responsive", () => {
  test("while 100 clients that do not read fall behind and are closed, in batches", async () => {
    const s = start({ maxConnectionsPerAddress: 200 });
    const reader = await s.connect();
    await reader.subscribe("tasklog", TASK);
    const slow = await Promise.all(Array.from({ length: 100 }, () => nonReading(s, [TASK])));

    const watch = closesPerTurn(s);
    let closes: number[];
    try {
      // The reader gets every chunk while they fall behind (publishUntil waits for each).
      const published = await publishUntil(
        s,
        reader,
        TASK,
        () => s.forwarder.stats().slowClientsClosed === slow.length,
      );
      await waitFor("the slow clients to be gone", () => s.forwarder.stats().connections === 1);
      expect(reader.events().length).toBe(published);
    } finally {
      closes = watch.stop();
    }
    expect(closes.reduce((a, b) => a + b, 0)).toBe(slow.length);
    expect(Math.max(...closes)).toBeLessThanOrEqual(WS_CLOSE_BATCH_SIZE);
    expect(reader.closeCode).toBeNull();
  });

  test("closing 500 clients at once goes a batch per turn, none in the turn that asked", async () => {
    const s = start({ maxConnectionsPerAddress: 500 });
    rawClients.push(...(await Promise.all(Array.from({ length: 500 }, () => connectRaw(s.url)))));
    await waitFor("500 connections", () => s.forwarder.stats().connections === 500);
    for (const c of rawClients) c.pause();

    const watch = closesPerTurn(s);
    let closes: number[];
    try {
      s.forwarder.closeAll();
      expect(s.forwarder.stats().connections).toBe(500);
      await waitFor("every connection closed", () => s.forwarder.stats().connections === 0);
    } finally {
      closes = watch.stop();
    }
    expect(closes).toEqual(Array<number>(500 / WS_CLOSE_BATCH_SIZE).fill(WS_CLOSE_BATCH_SIZE));
  });
});
