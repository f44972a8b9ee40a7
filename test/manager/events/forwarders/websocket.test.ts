import { describe, expect, test } from "bun:test";
import {
  farmStatus,
  jobUpdate,
  lastRenderedUpdates,
  lifecycle,
  taskLogUpdate,
  taskUpdate,
  workerUpdate,
} from "../../../../src/manager/events/payloads";
import { jobRow, taskRow, workerRow } from "../fixtures";
import { connectRaw } from "../../../support/raw-websocket";
import { Client, serverPerTest } from "../websocket-harness";
import { waitFor } from "../../../support/wait";

const JOB = jobRow().uuid;
const TASK = taskRow().uuid;
const WORKER = workerRow();

const { start, rawClients } = serverPerTest();

describe("delivery by room", () => {
  test("every connection gets lifecycle and farm status without subscribing, and nothing else", async () => {
    const s = start();
    const c = await s.connect();
    await waitFor("the connection to register", () => s.forwarder.stats().connections === 1);
    s.broker.publish(jobUpdate(jobRow()));
    s.broker.publish(workerUpdate(WORKER));
    s.broker.publish(farmStatus("idle"));
    s.broker.publish(lifecycle("manager-startup"));
    await waitFor("two frames", () => c.events().length >= 2);
    expect(c.events()).toEqual([
      { event: "/status", topic: "/status", payload: { status: "idle" } },
      { event: "/lifecycle", topic: "/lifecycle", payload: { type: "manager-startup" } },
    ]);
  });

  test("job and tasklog subscribers get task updates and log chunks; others do not", async () => {
    const s = start();
    const watcher = await s.connect();
    const bystander = await s.connect();
    expect(await watcher.subscribe("job", JOB)).toEqual({ event: "/subscription", ack: "ok" });
    expect((await watcher.subscribe("tasklog", TASK)).ack).toBe("ok");
    expect((await bystander.subscribe("allWorkers")).ack).toBe("ok");

    const update = taskUpdate(taskRow(), JOB, WORKER, "queued");
    s.broker.publish(update);
    s.broker.publish(taskLogUpdate(TASK, "Blender 4.2 started\nFra:1 Mem:12M"));
    s.broker.publish(taskLogUpdate("ffffffff-0000-4000-8000-000000000000", "someone else's log"));
    s.broker.publish(lifecycle("manager-shutdown"));

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
    const s = start();
    const c = await s.connect();
    await c.subscribe("allLastRendered");
    await c.subscribe("job", JOB);
    for (const e of lastRenderedUpdates(JOB, {
      base: "/job-files/job-5e7e/x",
      suffixes: ["last-rendered.jpg"],
    })) {
      s.broker.publish(e);
    }
    await waitFor("both copies", () => c.events().length >= 2);
    expect(c.events().map((f) => [f.event, f.topic])).toEqual([
      ["/last-rendered", `/jobs/${JOB}/last-rendered`],
      ["/last-rendered", "/last-rendered"],
    ]);
  });

  test("after unsubscribing, a client no longer gets the room's events", async () => {
    const s = start();
    const c = await s.connect();
    await c.subscribe("allJobs");
    s.broker.publish(jobUpdate(jobRow({ priority: 10 })));
    await waitFor("the first job update", () => c.events().length === 1);
    expect((await c.subscribe("allJobs", undefined, "unsubscribe")).ack).toBe("ok");
    s.broker.publish(jobUpdate(jobRow({ priority: 20 })));
    s.broker.publish(farmStatus("active"));
    await waitFor("the sentinel", () => c.events().length === 2);
    expect(c.events().map((f) => f.event)).toEqual(["/jobs", "/status"]);
  });
});

describe("subscription protocol over the socket", () => {
  test("replies ok, or the error string, and survives garbage", async () => {
    const s = start();
    const c = await s.connect();
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
    s.broker.publish(taskUpdate(taskRow(), JOB, null));
    await waitFor("a task update", () => c.events().length === 1);
    expect(c.closeCode).toBeNull();
  });
});

describe("protecting the server", () => {
  test("connections beyond the cap are refused with 503 Error JSON", async () => {
    const s = start({ maxConnections: 2 });
    const plain = await fetch(s.httpURL);
    expect(plain.status).toBe(400);
    expect(await plain.json()).toEqual({ code: 400, message: "expected a WebSocket upgrade request" });

    const first = await s.connect();
    await s.connect();
    const refused = await fetch(s.httpURL);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      code: 503,
      message: "too many WebSocket connections (at most 2)",
    });
    await expect(Client.connect(s.url)).rejects.toThrow();
    expect(s.forwarder.stats()).toMatchObject({ connections: 2, upgradesRefused: 2 });

    first.ws.close();
    await waitFor("a free slot", () => s.forwarder.stats().connections === 1);
    await s.connect();
  });

  test("a peer that never answers pings is dropped; a live one stays", async () => {
    const s = start({ pingIntervalMs: 250 });
    const live = await s.connect();
    const silent = await connectRaw(s.url);
    rawClients.push(silent);
    silent.pause();
    await waitFor("both connections", () => s.forwarder.stats().connections === 2);
    await waitFor("the silent peer to be dropped", () => s.forwarder.stats().connections === 1);
    s.broker.publish(farmStatus("idle"));
    await waitFor("an event on the live connection", () => live.events().length === 1);
    expect(live.closeCode).toBeNull();
  });

  test("shutdown closes every connection with 1001 and refuses new ones", async () => {
    const s = start();
    const a = await s.connect();
    const b = await s.connect();
    s.forwarder.closeAll();
    await waitFor("both clients closed", () => a.closeCode !== null && b.closeCode !== null);
    expect([a.closeCode, b.closeCode]).toEqual([1001, 1001]);
    expect(a.closeReason).toBe("the Manager is shutting down");
    const res = await fetch(s.httpURL);
    expect(res.status).toBe(503);
    const body: unknown = await res.json();
    expect(body).toMatchObject({ message: "the Manager is shutting down" });
  });
});
