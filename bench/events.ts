// Event fan-out benchmark: 500 WebSocket clients (in child processes, so they read while the
// Manager sends) and the MQTT forwarder against a local mosquitto, fed 10,000 job and task
// updates through the broker, beside the same updates with no forwarders.
// Run: `bun bench/events.ts` (ends by itself, well within two minutes).
import type { Subprocess } from "bun";
import mqtt from "mqtt";
import { type BrokerEvent, type EventBroker, createEventBroker } from "../src/manager/events/broker";
import { createMqttForwarder } from "../src/manager/events/forwarders/mqtt";
import { WS_PATH, type WsData, createWebSocketForwarder } from "../src/manager/events/forwarders/websocket";
import { jobUpdate, taskUpdate } from "../src/manager/events/payloads";
import { jobRow, taskRow } from "../test/manager/events/fixtures";
import { startMosquitto } from "../test/support/mosquitto";
import { formatTable } from "./report";

const CLIENTS = 500;
const CLIENT_PROCESSES = 2;
const JOBS = 10;
const EVENTS = 10_000;
const BURST_BATCH = 100;
const PACED_RATE_EVENTS_PER_S = 1_000;
const PACED_TICK_MS = 5;
const TARGET_P99_MS = 50;
const HISTOGRAM_BUCKET_MS = 0.1;
const MQTT_PREFIX = "bench";
const PHASE_TIMEOUT_MS = 40_000;
const BENCH_TIMEOUT_MS = 120_000;
const STAMP = '"sent_at":';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const nowMs = () => performance.timeOrigin + performance.now();

type Histogram = Map<number, number>;
type ToChild =
  | { kind: "start"; wsURL: string; mqttURL: string | null; first: number; count: number }
  | { kind: "collect"; wsFrames: number; mqttMessages: number };
type FromChild =
  | { kind: "ready" }
  | { kind: "results"; ws: [number, number][]; mqtt: [number, number][] }
  | { kind: "failed"; message: string };

interface Latencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function record(h: Histogram, ms: number) {
  const bucket = Math.round(ms / HISTOGRAM_BUCKET_MS);
  h.set(bucket, (h.get(bucket) ?? 0) + 1);
}

function summarize(h: Histogram): Latencies {
  const buckets = [...h.entries()].sort((a, b) => a[0] - b[0]);
  const count = buckets.reduce((sum, [, n]) => sum + n, 0);
  const at = (q: number) => {
    let seen = 0;
    for (const [bucket, n] of buckets) {
      seen += n;
      if (seen >= q * count) return bucket * HISTOGRAM_BUCKET_MS;
    }
    return Number.NaN;
  };
  return { count, p50: at(0.5), p99: at(0.99), max: at(1) };
}

async function until(what: () => string, check: () => boolean, timeoutMs = PHASE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await Bun.sleep(2);
  }
}

function jobUUID(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
}

/** Client `i` watches all jobs and job `i % JOBS`, like a browser on the jobs page. */
const jobOfClient = (i: number) => i % JOBS;

// ---- child process: a share of the clients ---------------------------------------------------

async function runClients() {
  const send = (m: FromChild) => process.send?.(m);
  let ws: Histogram = new Map();
  let mq: Histogram = new Map();
  let wsCount = 0;
  let mqCount = 0;
  // A real client parses every frame; the bench only needs the stamp, found without a parse.
  const latency = (data: string) =>
    nowMs() - Number.parseFloat(data.slice(data.lastIndexOf(STAMP) + STAMP.length));

  async function start(m: Extract<ToChild, { kind: "start" }>) {
    const sockets: WebSocket[] = [];
    for (let i = m.first; i < m.first + m.count; i++) {
      const socket = new WebSocket(m.wsURL);
      const subscribed = new Promise<void>((resolve) => {
        let acks = 0;
        socket.onmessage = (e) => {
          const data = String(e.data);
          if (data.includes(STAMP)) {
            record(ws, latency(data));
            wsCount++;
          } else if (++acks === 2) resolve();
        };
      });
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error("WebSocket connection failed"));
      });
      const subscribe = (type: string, uuid?: string) =>
        socket.send(JSON.stringify({ event: "/subscription", payload: { op: "subscribe", type, uuid } }));
      subscribe("allJobs");
      subscribe("job", jobUUID(jobOfClient(i)));
      await subscribed;
      sockets.push(socket);
    }
    if (m.mqttURL) {
      const { hostname, port } = new URL(m.mqttURL);
      const sub = await mqtt.connectAsync({
        protocol: "mqtt",
        hostname,
        port: Number(port),
        protocolVersion: 5,
      });
      sub.on("message", (_topic, payload) => {
        record(mq, latency(String(payload)));
        mqCount++;
      });
      await sub.subscribeAsync(`${MQTT_PREFIX}/#`, { qos: 1 });
    }
    send({ kind: "ready" });
  }

  async function collect(m: Extract<ToChild, { kind: "collect" }>) {
    await until(
      () => `WebSocket frames (${wsCount}/${m.wsFrames})`,
      () => wsCount >= m.wsFrames,
    );
    await until(
      () => `MQTT messages (${mqCount}/${m.mqttMessages})`,
      () => mqCount >= m.mqttMessages,
    );
    send({ kind: "results", ws: [...ws.entries()], mqtt: [...mq.entries()] });
    ws = new Map();
    mq = new Map();
    wsCount = 0;
    mqCount = 0;
  }

  process.on("message", (m: ToChild) => {
    (m.kind === "start" ? start(m) : collect(m)).catch((err) =>
      send({ kind: "failed", message: String(err) }),
    );
  });
}

// ---- parent process: the Manager side ---------------------------------------------------------

/** Alternating job and task updates over JOBS jobs, stamped when published. */
function updateEvent(n: number): BrokerEvent {
  const job = jobRow({ uuid: jobUUID(n % JOBS), stepsCompleted: n });
  // A key beyond the wire payload, spread in so that it is not taken for a misspelt field.
  const stamp = { sent_at: nowMs() };
  if (n % 2 === 0) {
    const e = jobUpdate(job);
    return { ...e, payload: { ...e.payload, ...stamp } };
  }
  const e = taskUpdate(taskRow({ stepsCompleted: n }), job.uuid, null, "active");
  return { ...e, payload: { ...e.payload, ...stamp } };
}

/** Frames clients [first, first+count) should get: all job updates, and their job's task updates. */
function expectedFrames(first: number, count: number): number {
  let frames = 0;
  for (let n = 0; n < EVENTS; n++) {
    if (n % 2 === 0) frames += count;
    else for (let i = first; i < first + count; i++) if (jobOfClient(i) === n % JOBS) frames++;
  }
  return frames;
}

/** As fast as the loop goes, yielding between batches so forwarders and sockets get to run. */
async function publishBurst(broker: EventBroker): Promise<number> {
  const start = performance.now();
  for (let n = 0; n < EVENTS;) {
    for (const end = Math.min(EVENTS, n + BURST_BATCH); n < end; n++) broker.publish(updateEvent(n));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return (EVENTS / (performance.now() - start)) * 1000;
}

async function publishPaced(broker: EventBroker): Promise<number> {
  const start = performance.now();
  for (let n = 0; n < EVENTS;) {
    const due = Math.min(
      EVENTS,
      Math.floor(((performance.now() - start) / 1000) * PACED_RATE_EVENTS_PER_S) + 1,
    );
    for (; n < due; n++) broker.publish(updateEvent(n));
    await Bun.sleep(PACED_TICK_MS);
  }
  return (EVENTS / (performance.now() - start)) * 1000;
}

interface Row {
  phase: string;
  rate: number;
  ratio: number;
  ws?: Latencies;
  mqtt?: Latencies;
  mqttDropped?: number;
}

function printTable(rows: Row[]) {
  const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "-" : v.toFixed(1));
  const n = (v: number | undefined) => (v === undefined ? "-" : Math.round(v).toLocaleString("en"));
  const head = [
    "phase",
    "events/s",
    "vs none",
    "WS frames",
    "WS p50 ms",
    "WS p99 ms",
    "WS max ms",
    "MQTT msgs",
    "MQTT p50 ms",
    "MQTT p99 ms",
    "MQTT drops",
  ];
  const lines = rows.map((r) => [
    r.phase,
    n(r.rate),
    `${r.ratio.toFixed(3)}x`,
    n(r.ws?.count),
    ms(r.ws?.p50),
    ms(r.ws?.p99),
    ms(r.ws?.max),
    n(r.mqtt?.count),
    ms(r.mqtt?.p50),
    ms(r.mqtt?.p99),
    n(r.mqttDropped),
  ]);
  console.log(formatTable(head, lines, 1));
}

async function runBench() {
  const benchTimer = setTimeout(() => {
    console.error(`bench did not finish within ${BENCH_TIMEOUT_MS} ms`);
    process.exit(1);
  }, BENCH_TIMEOUT_MS);
  const mosquitto = await startMosquitto();
  const children: Subprocess[] = [];
  let server: ReturnType<typeof Bun.serve<WsData>> | null = null;
  const logs: string[] = [];
  try {
    const baseline = await publishBurst(createEventBroker());
    const rows: Row[] = [{ phase: "no forwarders, burst", rate: baseline, ratio: 1 }];

    const broker = createEventBroker((m) => logs.push(m));
    // Every client connects from 127.0.0.1.
    const ws = createWebSocketForwarder({
      log: (_level, m) => logs.push(m),
      maxConnectionsPerAddress: CLIENTS,
    });
    const mq = createMqttForwarder(
      {
        enabled: true,
        broker: mosquitto.url,
        clientID: "tablao-bench",
        topicPrefix: MQTT_PREFIX,
        username: "",
        password: "",
      },
      { log: (_level, m) => logs.push(m) },
    );
    if (!mq) throw new Error(`no MQTT forwarder: ${logs.join("; ")}`);
    broker.addForwarder(ws.forwarder);
    broker.addForwarder(mq.forwarder);
    server = Bun.serve<WsData>({
      hostname: "127.0.0.1",
      port: 0,
      websocket: ws.websocket,
      fetch: (req, srv) =>
        new URL(req.url).pathname === WS_PATH
          ? ws.upgrade(req, srv, srv.requestIP(req)?.address)
          : new Response(null, { status: 404 }),
    });

    // Each child gets a contiguous share of the clients; the first also subscribes to MQTT.
    const shares = Array.from({ length: CLIENT_PROCESSES }, (_, k) => {
      const first = Math.floor((k * CLIENTS) / CLIENT_PROCESSES);
      return { first, count: Math.floor(((k + 1) * CLIENTS) / CLIENT_PROCESSES) - first };
    });
    const inbox: FromChild[][] = shares.map(() => []);
    for (const [k, share] of shares.entries()) {
      const child = Bun.spawn([process.execPath, import.meta.path, "--clients"], {
        stdout: "inherit",
        stderr: "inherit",
        ipc: (m: FromChild) => void inbox[k]?.push(m),
      });
      children.push(child);
      child.send({
        kind: "start",
        wsURL: `ws://127.0.0.1:${server.port}${WS_PATH}`,
        mqttURL: k === 0 ? mosquitto.url : null,
        ...share,
      } satisfies ToChild);
    }
    const next = async (k: number): Promise<FromChild> => {
      await until(
        () => `client process ${k}`,
        () => (inbox[k]?.length ?? 0) > 0,
      );
      const m = inbox[k]?.shift();
      if (m === undefined) throw new Error(`client process ${k}: its message went missing`);
      if (m.kind === "failed") throw new Error(`client process ${k} failed: ${m.message}`);
      return m;
    };
    for (const k of shares.keys()) await next(k);
    await until(
      () => "the MQTT connection",
      () => mq.stats().connected,
    );

    const measure = async (phase: string, publish: (b: EventBroker) => Promise<number>) => {
      const before = mq.stats();
      const rate = await publish(broker);
      await until(
        () => "the MQTT queue to drain",
        () => mq.stats().queued === 0 && mq.stats().inflight === 0,
      );
      const after = mq.stats();
      for (const [k, share] of shares.entries()) {
        children[k]?.send({
          kind: "collect",
          wsFrames: expectedFrames(share.first, share.count),
          mqttMessages: k === 0 ? after.sent - before.sent : 0,
        } satisfies ToChild);
      }
      const wsHist: Histogram = new Map();
      const mqHist: Histogram = new Map();
      for (const k of shares.keys()) {
        const r = await next(k);
        if (r.kind !== "results") throw new Error(`client process ${k} sent ${r.kind}`);
        for (const [b, c] of r.ws) wsHist.set(b, (wsHist.get(b) ?? 0) + c);
        for (const [b, c] of r.mqtt) mqHist.set(b, (mqHist.get(b) ?? 0) + c);
      }
      rows.push({
        phase,
        rate,
        ratio: rate / baseline,
        ws: summarize(wsHist),
        mqtt: summarize(mqHist),
        mqttDropped: after.dropped - before.dropped,
      });
    };
    await measure("forwarders, burst", publishBurst);
    await measure(`forwarders, paced ${PACED_RATE_EVENTS_PER_S}/s`, publishPaced);

    console.log(
      `\n${EVENTS.toLocaleString("en")} updates (alternating job and task, ${JOBS} jobs); ${CLIENTS} WebSocket clients in ` +
        `${CLIENT_PROCESSES} processes, each subscribed to allJobs + one job; MQTT QoS 1 to mosquitto.\n` +
        "Latency = receive time - publish time. Burst: batches of " +
        `${BURST_BATCH} per event-loop turn; paced: ${PACED_RATE_EVENTS_PER_S} events/s in ${PACED_TICK_MS} ms ticks.\n`,
    );
    printTable(rows);
    const paced = rows[rows.length - 1]?.ws;
    const stats = ws.stats();
    console.log(
      `\nWebSocket: ${stats.framesSent.toLocaleString("en")} frames sent, ${stats.slowClientsClosed} slow clients closed. ` +
        `Paced p99 ${paced?.p99.toFixed(1)} ms: ${paced && paced.p99 < TARGET_P99_MS ? "within" : "OVER"} the ` +
        `${TARGET_P99_MS} ms target. Machine: ${navigator.hardwareConcurrency} CPUs.`,
    );
    await mq.close();
    ws.closeAll();
  } finally {
    for (const child of children) child.kill();
    await Promise.all(children.map((c) => c.exited));
    // Not awaited: stop(true) cuts the connections at once, and the bench ends right after.
    void server?.stop(true);
    await mosquitto.dispose();
    clearTimeout(benchTimer);
  }
}

if (process.argv.includes("--clients")) await runClients();
else await runBench();
