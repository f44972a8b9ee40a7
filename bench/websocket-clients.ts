// Slow WebSocket clients against a real Manager process: 1,000 clients, of which 900 subscribe to
// allJobs and never read, while job updates flow (priority changes over HTTP, at a steady rate).
// The Manager's RSS and `GET /api/v3/version` latency are sampled throughout: while the Manager
// closes the clients that fall behind, while 900 new ones connect in one go, and while those all
// disconnect at once. A baseline run has only the 100 readers, the same load and the same phases.
// Clients connect from 127.0.0.x addresses, a few dozen each, so that the per-address limit is
// not what stops them.
//
// Run: `bun run bench:ws` (about 80 s). A client that never reads makes the kernel hold
// what its socket buffers take first (up to tcp_wmem's maximum, 4 MiB on many hosts) before the
// Manager holds anything: 900 such clients can use more TCP memory than a host allows in all
// (tcp_mem), which slows every other connection on it. On a shared machine, run it in its own
// network namespace with smaller socket buffers, as root:
//   unshare -n sh -c 'ip link set lo up && sysctl -qw net.ipv4.tcp_wmem="4096 16384 262144" && bun run bench:ws'
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import {
  type RawClient,
  connectNonReading,
  connectRaw,
  subscriptionFrame,
} from "../test/support/raw-websocket";
import { killChildren, managerApi, startManager } from "../test/support/processes";
import { readCpuSeconds, readRssBytes } from "./proc-stats";
import { formatTable, quantile } from "./report";

const READERS = 100;
const SLOW_CLIENTS = 900;
const CLIENTS_PER_ADDRESS = 25;
const FIRST_CLIENT_ADDRESS = 10;
const CONNECT_BATCH = 50;
const JOBS = 20;
/** Well below what the Manager sustains on 2 CPUs, so that the baseline is not saturated. */
const EVENTS_PER_S = 500;
const LOAD_TICK_MS = 10;
const LOAD_MAX_IN_FLIGHT = 16;
const EVENTS_PHASE_MS = 30_000;
const RECONNECT_PHASE_MIN_MS = 2_000;
const DISCONNECT_PHASE_MS = 5_000;
const PROBE_GAP_MS = 10;
const RSS_SAMPLE_INTERVAL_MS = 100;
const MB = 1024 * 1024;
const TARGET_RSS_MB = 512;
const TARGET_VERSION_P99_MS = 100;
const CHILD_TIMEOUT_MS = 60_000;
const BENCH_TIMEOUT_MS = 400_000;

/**
 * connect: every client connects, no events yet; events: the non-reading ones fall behind and the
 * Manager closes them; reconnect: 900 new non-reading clients connect at once; disconnect: those
 * all go at once.
 */
const PHASES = ["connect", "events", "reconnect", "disconnect"] as const;
type Phase = (typeof PHASES)[number];

type ToClients =
  | { kind: "connect"; wsURL: string; readers: number; slow: number }
  | { kind: "connect-slow"; wsURL: string; slow: number }
  | { kind: "disconnect-slow" }
  | { kind: "report" };
type ToLoad = { kind: "start"; url: string; jobIds: string[] } | { kind: "stop" };
type FromChild =
  | { kind: "connected"; readers: number; slow: number }
  | { kind: "disconnected"; ms: number }
  | { kind: "clients-report"; framesRead: number; readersClosed: number }
  | { kind: "load-report"; requests: number; errors: number; seconds: number }
  | { kind: "failed"; message: string };

/** 127.0.0.x for client `i`, so that each address has at most CLIENTS_PER_ADDRESS clients. */
const clientAddress = (i: number) => `127.0.0.${FIRST_CLIENT_ADDRESS + Math.floor(i / CLIENTS_PER_ADDRESS)}`;

// ---- child: the clients ------------------------------------------------------------------------

async function runClients() {
  const send = (m: FromChild) => process.send?.(m);
  let slow: RawClient[] = [];
  /** Clients connected so far: each new one gets the next index, and so its address. */
  let connectedCount = 0;
  let framesRead = 0;
  let readersClosed = 0;
  let refused = 0;

  async function connectReader(wsURL: string, address: string) {
    const reader = await connectRaw(wsURL, { localAddress: address });
    if (!reader.status.startsWith("HTTP/1.1 101")) throw new Error(`reader refused: ${reader.status}`);
    reader.socket.write(subscriptionFrame("allJobs"));
    reader.socket.once("close", () => readersClosed++);
    reader.stream((f) => {
      if (f.kind === "text") framesRead++;
    });
  }

  async function connect(wsURL: string, readers: number, slowCount: number) {
    const total = readers + slowCount;
    for (let done = 0; done < total; done += CONNECT_BATCH) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, total - done) }, async (_, k) => {
        const address = clientAddress(connectedCount + done + k);
        if (done + k < readers) await connectReader(wsURL, address);
        else {
          // A refusal (the Manager's connection limits) is counted, not fatal: it is a result.
          const client = await connectNonReading(wsURL, [{ type: "allJobs" }], {
            localAddress: address,
          }).catch(() => null);
          if (client) slow.push(client);
          else refused++;
        }
      });
      await Promise.all(batch);
    }
    connectedCount += total;
    send({ kind: "connected", readers, slow: slowCount - refused });
    refused = 0;
  }

  process.on("message", (m: ToClients) => {
    const failed = (err: unknown) => send({ kind: "failed", message: String(err) });
    if (m.kind === "connect") connect(m.wsURL, m.readers, m.slow).catch(failed);
    else if (m.kind === "connect-slow") connect(m.wsURL, 0, m.slow).catch(failed);
    else if (m.kind === "disconnect-slow") {
      const start = performance.now();
      for (const c of slow) c.socket.destroy();
      slow = [];
      send({ kind: "disconnected", ms: performance.now() - start });
    } else send({ kind: "clients-report", framesRead, readersClosed });
  });
}

// ---- child: the load -----------------------------------------------------------------------------

async function runLoad() {
  const send = (m: FromChild) => process.send?.(m);
  let requests = 0;
  let errors = 0;
  let inFlight = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  let start = 0;

  /** One priority change: one `/jobs` event. */
  async function change(url: string, jobId: string, priority: number) {
    inFlight++;
    try {
      const res = await fetch(`${url}/api/v3/jobs/${jobId}/setpriority`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ priority }),
      });
      await res.arrayBuffer();
      if (res.ok) requests++;
      else errors++;
    } catch {
      errors++;
    } finally {
      inFlight--;
    }
  }

  process.on("message", (m: ToLoad) => {
    if (m.kind === "start") {
      start = performance.now();
      let issued = 0;
      // Paced: what is due by now, as long as no more than LOAD_MAX_IN_FLIGHT wait for an answer.
      timer = setInterval(() => {
        const due = Math.floor(((performance.now() - start) / 1000) * EVENTS_PER_S);
        for (; issued < due && inFlight < LOAD_MAX_IN_FLIGHT; issued++) {
          void change(m.url, m.jobIds[issued % m.jobIds.length] ?? "", issued % 101);
        }
      }, LOAD_TICK_MS);
      return;
    }
    if (timer) clearInterval(timer);
    const seconds = (performance.now() - start) / 1000;
    const report = () => {
      if (inFlight > 0) setTimeout(report, LOAD_TICK_MS);
      else send({ kind: "load-report", requests, errors, seconds });
    };
    report();
  });
}

// ---- parent: the Manager, the probes, the report -------------------------------------------------

interface Sample {
  phase: Phase;
  value: number;
}

/** Latest message of a kind from a child, waited for with a deadline. */
function inbox() {
  const messages: FromChild[] = [];
  return {
    push: (m: FromChild) => void messages.push(m),
    async next<K extends FromChild["kind"]>(kind: K): Promise<Extract<FromChild, { kind: K }>> {
      const deadline = Date.now() + CHILD_TIMEOUT_MS;
      for (;;) {
        const failed = messages.find((m) => m.kind === "failed");
        if (failed?.kind === "failed") throw new Error(`a child failed: ${failed.message}`);
        const i = messages.findIndex((m) => m.kind === kind);
        if (i >= 0) return messages.splice(i, 1)[0] as Extract<FromChild, { kind: K }>;
        if (Date.now() > deadline) throw new Error(`no "${kind}" from a child within ${CHILD_TIMEOUT_MS} ms`);
        await Bun.sleep(5);
      }
    },
  };
}

function spawnChild(role: "--clients" | "--load", box: ReturnType<typeof inbox>): Subprocess {
  return Bun.spawn([process.execPath, import.meta.path, role], {
    stdout: "inherit",
    stderr: "inherit",
    ipc: (m: FromChild) => box.push(m),
  });
}

interface PhaseFigures {
  rssMaxMB: number;
  /** The Manager's CPU use over the phase, in % of one CPU: what its latency figures sit on. */
  cpuPercent: number;
  versionP50: number;
  versionP99: number;
  versionMax: number;
  probes: number;
}

interface RunResult {
  label: string;
  phases: Map<Phase, PhaseFigures>;
  eventsPerS: number;
  loadErrors: number;
  framesReadPerReader: number;
  readersClosed: number;
  slowClosedByManager: number;
  /** Non-reading clients that got in again in the reconnect phase. */
  reconnected: number;
  reconnectMs: number | null;
  disconnectMs: number | null;
}

async function run(label: string, slowClients: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "tablao-bench-ws-"));
  const manager = await startManager(dir);
  const api = managerApi(manager.url);
  const clientsBox = inbox();
  const loadBox = inbox();
  const clients = spawnChild("--clients", clientsBox);
  const load = spawnChild("--load", loadBox);
  let phase: Phase = "connect";
  const rss: Sample[] = [];
  const version: Sample[] = [];
  let sampling = true;
  let rssTimer: ReturnType<typeof setInterval> | undefined;
  try {
    const jobIds: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const job = (await api.post("/api/v3/jobs", {
        name: `bench job ${i}`,
        type: "echo-sleep-test",
        priority: 50,
        submitter_platform: "linux",
        settings: { message: "hello", sleep_duration_seconds: 1, sleep_repeats: 1 },
      })) as { id: string };
      jobIds.push(job.id);
    }

    const sampleRSS = () => rss.push({ phase, value: readRssBytes(manager.proc.pid) / MB });
    rssTimer = setInterval(sampleRSS, RSS_SAMPLE_INTERVAL_MS);
    /** Every phase gets an RSS sample, however short it is. */
    const cpu = new Map<Phase, { seconds: number; wallMs: number }>();
    let phaseStart = { cpu: readCpuSeconds(manager.proc.pid), at: performance.now() };
    const enter = (next: Phase | null) => {
      sampleRSS();
      const now = { cpu: readCpuSeconds(manager.proc.pid), at: performance.now() };
      cpu.set(phase, { seconds: now.cpu - phaseStart.cpu, wallMs: now.at - phaseStart.at });
      phaseStart = now;
      if (next === null) return;
      phase = next;
      sampleRSS();
    };
    const probing = (async () => {
      while (sampling) {
        const start = performance.now();
        const res = await fetch(`${manager.url}/api/v3/version`);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`GET /api/v3/version: ${res.status}`);
        version.push({ phase, value: performance.now() - start });
        await Bun.sleep(PROBE_GAP_MS);
      }
    })();
    const wsURL = `${manager.url.replace("http://", "ws://")}/ws`;

    enter("connect");
    clients.send({ kind: "connect", wsURL, readers: READERS, slow: slowClients } satisfies ToClients);
    const connected = await clientsBox.next("connected");
    console.log(`${label}: ${connected.readers} readers and ${connected.slow} non-reading clients connected`);

    enter("events");
    load.send({ kind: "start", url: manager.url, jobIds } satisfies ToLoad);
    await Bun.sleep(EVENTS_PHASE_MS);
    const closedByManager = countSlowCloses(manager.logPath);

    enter("reconnect");
    const reconnectStart = performance.now();
    clients.send({ kind: "connect-slow", wsURL, slow: slowClients } satisfies ToClients);
    const reconnected = (await clientsBox.next("connected")).slow;
    const reconnectMs = performance.now() - reconnectStart;
    await Bun.sleep(Math.max(0, RECONNECT_PHASE_MIN_MS - reconnectMs));

    enter("disconnect");
    clients.send({ kind: "disconnect-slow" } satisfies ToClients);
    const disconnected = await clientsBox.next("disconnected");
    await Bun.sleep(DISCONNECT_PHASE_MS);

    enter(null);
    load.send({ kind: "stop" } satisfies ToLoad);
    const loadReport = await loadBox.next("load-report");
    clients.send({ kind: "report" } satisfies ToClients);
    const clientsReport = await clientsBox.next("clients-report");
    sampling = false;
    await probing;

    const phases = new Map<Phase, PhaseFigures>();
    for (const p of PHASES) {
      const lat = version.filter((s) => s.phase === p).map((s) => s.value);
      const used = cpu.get(p);
      phases.set(p, {
        rssMaxMB: Math.max(...rss.filter((s) => s.phase === p).map((s) => s.value)),
        cpuPercent: used ? (used.seconds / (used.wallMs / 1000)) * 100 : Number.NaN,
        versionP50: quantile(lat, 0.5),
        versionP99: quantile(lat, 0.99),
        versionMax: quantile(lat, 1),
        probes: lat.length,
      });
    }
    return {
      label,
      phases,
      eventsPerS: loadReport.requests / loadReport.seconds,
      loadErrors: loadReport.errors,
      framesReadPerReader: clientsReport.framesRead / READERS,
      readersClosed: clientsReport.readersClosed,
      slowClosedByManager: closedByManager,
      reconnected,
      reconnectMs: slowClients > 0 ? reconnectMs : null,
      disconnectMs: slowClients > 0 ? disconnected.ms : null,
    };
  } finally {
    sampling = false;
    clearInterval(rssTimer);
    clients.kill();
    load.kill();
    await Promise.all([clients.exited, load.exited]);
    await manager.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Slow clients the Manager closed, from its log (one line each). */
function countSlowCloses(logPath: string): number {
  try {
    return readFileSync(`${logPath}.0.err`, "utf8")
      .split("\n")
      .filter((l) => l.includes("websocket: closing client") && l.includes("too slow")).length;
  } catch {
    return 0;
  }
}

function report(baseline: RunResult, slow: RunResult) {
  const ms = (v: number) => (Number.isNaN(v) ? "-" : v.toFixed(1));
  const ratio = (v: number, base: number) => `${(v / base).toFixed(2)}x`;
  const rows: string[][] = [];
  for (const r of [baseline, slow]) {
    for (const p of PHASES) {
      const f = r.phases.get(p);
      const b = baseline.phases.get(p);
      if (!f || !b) continue;
      rows.push([
        r.label,
        p,
        f.rssMaxMB.toFixed(0),
        ratio(f.rssMaxMB, b.rssMaxMB),
        f.cpuPercent.toFixed(0),
        ms(f.versionP50),
        ms(f.versionP99),
        ratio(f.versionP99, b.versionP99),
        ms(f.versionMax),
        String(f.probes),
      ]);
    }
  }
  console.log(
    `\n${READERS} reading clients (+ ${SLOW_CLIENTS} that never read, in the second run), all on allJobs; ` +
      `job priority changes over HTTP at ${EVENTS_PER_S}/s (one /jobs event each, at most ` +
      `${LOAD_MAX_IN_FLIGHT} in flight).\nPhases: connect (no load), events (${EVENTS_PHASE_MS / 1000} s), ` +
      `reconnect (${SLOW_CLIENTS} new non-reading clients connect at once), disconnect (those all go at once; ` +
      `${DISCONNECT_PHASE_MS / 1000} s). RSS sampled every ${RSS_SAMPLE_INTERVAL_MS} ms; ` +
      `GET /api/v3/version one after the other, ${PROBE_GAP_MS} ms apart. CPU %: the Manager's, of one CPU.\n`,
  );
  console.log(
    formatTable(
      [
        "run",
        "phase",
        "RSS max MB",
        "vs base",
        "CPU %",
        "version p50 ms",
        "p99 ms",
        "vs base",
        "max ms",
        "probes",
      ],
      rows,
      2,
    ),
  );
  for (const r of [baseline, slow]) {
    console.log(
      `\n${r.label}: ${r.eventsPerS.toFixed(0)} events/s (${r.loadErrors} errors); each reader read ` +
        `${r.framesReadPerReader.toFixed(0)} frames; readers closed: ${r.readersClosed}; non-reading clients ` +
        `closed by the Manager during the events phase: ${r.slowClosedByManager}` +
        (r.reconnectMs === null || r.disconnectMs === null
          ? ""
          : `; ${r.reconnected} of ${SLOW_CLIENTS} got in again in ${r.reconnectMs.toFixed(0)} ms, then disconnected in ` +
            `${r.disconnectMs.toFixed(1)} ms (client side)`),
    );
  }
  const rssMax = Math.max(...[...slow.phases.values()].map((f) => f.rssMaxMB));
  const p99Max = Math.max(...[...slow.phases.values()].map((f) => f.versionP99));
  console.log(
    `\nTargets with ${SLOW_CLIENTS} non-reading clients: RSS max ${rssMax.toFixed(0)} MB ` +
      `(${rssMax < TARGET_RSS_MB ? "under" : "OVER"} ${TARGET_RSS_MB} MB); version p99 at worst ${p99Max.toFixed(1)} ms ` +
      `(${p99Max < TARGET_VERSION_P99_MS ? "under" : "OVER"} ${TARGET_VERSION_P99_MS} ms). ` +
      `Machine: ${navigator.hardwareConcurrency} CPUs, load average ${loadavg()[0]?.toFixed(1)}, tcp_wmem ${readFileSync("/proc/sys/net/ipv4/tcp_wmem", "utf8").trim().replace(/\s+/g, " ")}.`,
  );
}

async function runBench() {
  const timer = setTimeout(() => {
    console.error(`bench did not finish within ${BENCH_TIMEOUT_MS} ms`);
    process.exit(1);
  }, BENCH_TIMEOUT_MS);
  try {
    const baseline = await run("baseline", 0);
    const slow = await run(`${SLOW_CLIENTS} slow`, SLOW_CLIENTS);
    report(baseline, slow);
  } finally {
    await killChildren();
    clearTimeout(timer);
  }
}

if (process.argv.includes("--clients")) await runClients();
else if (process.argv.includes("--load")) await runLoad();
else await runBench();
