// Scenario ws-abuse: a thousand WebSocket clients on /ws, all subscribed to `allJobs`, nine in ten
// of which never read, while job events flow. Non-reading clients are raw TCP sockets that stop
// reading (test/support/raw-websocket.ts), so the kernel buffers fill and the Manager has to deal with backpressure
// for real. Clients come from many loopback addresses (127.0.0.2, 127.0.0.3, ...) so that a
// per-address connection limit does not stop the scenario. A separate process samples the
// Manager's RSS and /api/v3/version latency throughout; the issue bounds RSS below 512 MB and
// the version p99 below 100 ms in every phase.
import createClient from "openapi-fetch";
import { readCpuSeconds, readRssBytes } from "../bench/proc-stats";
import type { paths } from "../src/worker/client/schema";
import { type RawClient, connectRaw } from "../test/support/raw-websocket";
import { createManagerProcess, scenarioFolder } from "./manager-process";
import { createPrng } from "./prng";
import { type Check, type ScenarioResult, check, conclude, fmt } from "./report";
import { type PhaseStats, startSampler } from "./sampler";

export interface WsAbuseOptions {
  clients: number;
  /** Share of clients that read everything (the rest never read). */
  readersFraction: number;
  /** Clients per source address. */
  perAddress: number;
  /** How long events flow while the clients are connected. */
  flowSeconds: number;
  /** Job events per second aimed at (each one goes to every client). */
  eventRate: number;
  /** Length of the job names, which every job event carries (the Manager allows up to 1024). */
  jobNameChars: number;
  /** The flow stops early when the Manager's RSS passes this, to spare the machine. */
  rssAbortMb: number;
  /**
   * Whether the version p99 bound is a check or only a figure: the small slice in `npm test`
   * shares its machine with the rest of the tests, so there a latency is reported, not judged.
   */
  judgeLatency: boolean;
  seed: number;
  keep: boolean;
}

export const WS_ABUSE_DEFAULTS: Omit<WsAbuseOptions, "seed" | "keep"> = {
  clients: 1_000,
  readersFraction: 0.1,
  perAddress: 8,
  flowSeconds: 30,
  eventRate: 400,
  jobNameChars: 1_000,
  rssAbortMb: 2_048,
  judgeLatency: true,
};

/** The issue's bounds. */
const RSS_LIMIT_BYTES = 512 * 1024 * 1024;
const VERSION_P99_LIMIT_MS = 100;

const SAMPLE_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 5_000;
const BASELINE_MS = 2_000;
const CLOSING_WINDOW_MS = 3_000;
const OPEN_TIMEOUT_MS = 10_000;
const OPEN_CONCURRENCY = 50;
/** At most this many connections from one address, to find the per-address limit. */
const PER_ADDRESS_PROBE_MAX = 64;
const PROBE_ADDRESS = "127.0.0.254";
/** A drained client that got nothing for this long is still open, not closed. */
const DRAIN_IDLE_MS = 1_000;
const DRAIN_TIMEOUT_MS = 60_000;
const POLL_MS = 50;
const JOBS = 4;
const EVENTS_IN_FLIGHT = 4;
/** One event in this many is a job submission; the others are priority changes. */
const SUBMIT_EVERY = 50;
const SUBSCRIPTIONS = [{ type: "allJobs" }];
/** Frames up to this size are kept (subscription acks, close frames); event frames are only counted. */
const KEEP_FRAME_BYTES = 512;
const WS_POLICY_VIOLATION = 1008;
/** How the Manager logs a client it closes for not reading (src/manager/events/forwarders/websocket.ts). */
const SLOW_CLIENT_LOG = /websocket: closing client .*(too slow|unread)/;
const PHASES = ["before", "opening", "during", "draining", "closing"] as const;

/** Source address of client `n`: 127.0.0.2 onwards, `perAddress` clients each, never .254 (the probe's). */
function sourceAddress(n: number, perAddress: number): string {
  const a = Math.floor(n / perAddress);
  return `127.0.${Math.floor(a / 250)}.${2 + (a % 250)}`;
}

export async function runWsAbuse(opts: WsAbuseOptions): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const folder = scenarioFolder("ws");
  const manager = createManagerProcess(folder.root);
  const findings: string[] = [];
  const finish = (figures: [string, string][], checks: Check[]) =>
    conclude("ws-abuse", folder, opts.keep, { figures, checks, findings });
  const started = await manager.start();
  const pid = manager.pid();
  if (!started.ok || pid === null) {
    const reason = started.ok ? "no process" : started.reason;
    findings.push(`the Manager did not start: ${reason}`);
    return finish([], [check("Manager starts", false, reason)]);
  }
  const api = createClient<paths>({ baseUrl: manager.url });
  const prng = createPrng(opts.seed);
  const sampler = startSampler(manager.url, pid, {
    intervalMs: SAMPLE_INTERVAL_MS,
    timeoutMs: PROBE_TIMEOUT_MS,
    firstPhase: "before",
  });
  await Bun.sleep(BASELINE_MS);

  // Opening: first how many connections one address gets, then the real clients.
  sampler.phase("opening");
  const wsURL = `${manager.url.replace("http://", "ws://")}/ws`;
  const probe = await probePerAddressLimit(wsURL);
  const clients: RawClient[] = [];
  const readers = new Set<RawClient>();
  const refused = new Map<string, number>();
  const openErrors: string[] = [];
  const isReader = (i: number) =>
    Math.floor((i + 1) * opts.readersFraction) > Math.floor(i * opts.readersFraction);
  let next = 0;
  await Promise.all(
    Array.from({ length: OPEN_CONCURRENCY }, async () => {
      while (next < opts.clients) {
        const i = next++;
        let c: RawClient | null = null;
        try {
          c = await connectRaw(wsURL, {
            localAddress: sourceAddress(i, opts.perAddress),
            keepFramesUpTo: KEEP_FRAME_BYTES,
            timeoutMs: OPEN_TIMEOUT_MS,
          });
          if (c.upgraded && (await c.subscribe(SUBSCRIPTIONS, OPEN_TIMEOUT_MS))) {
            clients.push(c);
            if (isReader(i)) readers.add(c);
            else c.pause();
          } else {
            const key = c.upgraded
              ? `closed after the upgrade (${c.closeCode ?? "no close frame"})`
              : c.statusCode
                ? `HTTP ${c.statusCode}`
                : (c.error ?? "closed");
            refused.set(key, (refused.get(key) ?? 0) + 1);
            c.destroy();
          }
        } catch (err) {
          c?.destroy();
          openErrors.push((err as Error).message);
        }
      }
    }),
  );
  if (openErrors[0]) findings.push(`${openErrors.length} clients failed to connect, e.g. ${openErrors[0]}`);

  // During: job events for everyone (priority changes, now and then a new job), paced.
  sampler.phase("during");
  const name = (k: number) => `ws-abuse ${k} ${"x".repeat(opts.jobNameChars)}`.slice(0, opts.jobNameChars);
  const submit = async (k: number) => {
    const r = await api.POST("/api/v3/jobs", {
      body: {
        name: name(k),
        type: "echo-sleep-test",
        priority: 50,
        submitter_platform: "linux",
        initial_status: "paused",
        settings: { message: "ws-abuse" },
      },
    });
    return r.data?.id;
  };
  const jobs = (await Promise.all(Array.from({ length: JOBS }, (_, k) => submit(k)))).filter(
    (id): id is string => id !== undefined,
  );
  const flow = { sent: 0, failed: 0, stoppedEarly: "" };
  const managerCpuBefore = readCpuSeconds(pid);
  const suiteCpuBefore = process.cpuUsage();
  const flowStart = performance.now();
  const flowEnd = flowStart + opts.flowSeconds * 1000;
  await Promise.all(
    Array.from({ length: EVENTS_IN_FLIGHT }, async () => {
      while (performance.now() < flowEnd && !flow.stoppedEarly && jobs.length > 0) {
        const rss = readRssBytes(pid);
        if (rss > opts.rssAbortMb * 1024 * 1024) {
          flow.stoppedEarly = `RSS ${fmt.mb(rss)} passed ${opts.rssAbortMb} MB after ${((performance.now() - flowStart) / 1000).toFixed(1)} s`;
          break;
        }
        const due = ((performance.now() - flowStart) / 1000) * opts.eventRate;
        if (flow.sent >= due) {
          await Bun.sleep(1000 / opts.eventRate);
          continue;
        }
        const k = flow.sent++;
        try {
          if (k % SUBMIT_EVERY === 0) {
            if ((await submit(JOBS + k)) === undefined) flow.failed++;
          } else {
            const r = await api.POST("/api/v3/jobs/{job_id}/setpriority", {
              params: { path: { job_id: jobs[k % jobs.length] ?? "" } },
              body: { priority: 1 + prng.int(100) },
            });
            if (r.response.status !== 204) flow.failed++;
          }
        } catch {
          flow.failed++;
        }
      }
    }),
  );
  const flowSeconds = (performance.now() - flowStart) / 1000;
  const suiteCpu = process.cpuUsage(suiteCpuBefore);
  // Both share the machine: the suite's own load explains part of any latency.
  const cpuShare = {
    manager: (readCpuSeconds(pid) - managerCpuBefore) / flowSeconds,
    suite: (suiteCpu.user + suiteCpu.system) / 1e6 / flowSeconds,
  };
  if (flow.stoppedEarly) findings.push(`event flow stopped early: ${flow.stoppedEarly}`);
  const readersCut = [...readers].filter((c) => c.closeCode !== null || c.ended);
  const readerFrames = [...readers].reduce((n, c) => n + c.dataFrames, 0);

  // Draining: the silent clients read again, to learn whether (and how) the Manager closed them.
  sampler.phase("draining");
  const silent = clients.filter((c) => !readers.has(c));
  for (const c of silent) c.resume();
  const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
  const settled = (c: RawClient) =>
    c.closeCode !== null || c.ended || performance.now() - c.lastReadAt > DRAIN_IDLE_MS;
  while (performance.now() < drainDeadline && !silent.every(settled)) await Bun.sleep(POLL_MS);
  const closed1008 = silent.filter((c) => c.closeCode === WS_POLICY_VIOLATION).length;
  const closedOther = silent.filter(
    (c) => c.closeCode !== null && c.closeCode !== WS_POLICY_VIOLATION,
  ).length;
  const droppedSilently = silent.filter((c) => c.closeCode === null && c.ended).length;
  const stillOpen = silent.length - closed1008 - closedOther - droppedSilently;

  // Closing: everyone leaves at once.
  sampler.phase("closing");
  for (const c of clients) c.close();
  await Bun.sleep(CLOSING_WINDOW_MS);
  for (const c of clients) c.destroy();
  const phases = await sampler.finish();
  const alive = manager.pid() !== null;
  if (!alive) findings.push(`the Manager died: ${manager.logTail(10)}`);
  const exit = await manager.stop();
  const loggedSlow = manager
    .logText()
    .split("\n")
    .filter((l) => SLOW_CLIENT_LOG.test(l)).length;
  if (loggedSlow > 0 && closed1008 === 0) {
    findings.push(
      `the Manager logged closing ${loggedSlow} clients as too slow, but no client read a 1008 close frame ` +
        `(${droppedSilently} saw the connection end without one)`,
    );
  }

  const peakRss = Math.max(...phases.map((p) => p.rssMaxBytes));
  const endRss = phases[phases.length - 1]?.rssLastBytes ?? Number.NaN;
  const phase = (p: string) => phases.find((s) => s.phase === p);
  const latency = (s: PhaseStats | undefined) =>
    s
      ? `${fmt.ms(s.p50Ms)} / ${fmt.ms(s.p99Ms)} / ${fmt.ms(s.maxMs)}${s.errors ? ` (${s.errors} failed)` : ""}`
      : "-";
  const count = (m: Map<string, number>) => [...m].map(([k, v]) => `${k}: ${v}`).join(", ") || "none";

  const figures: [string, string][] = [
    [
      "clients connected / asked",
      `${clients.length} / ${opts.clients} (${readers.size} reading, ${silent.length} never reading)`,
    ],
    ["source addresses", `${Math.ceil(opts.clients / opts.perAddress)} (${opts.perAddress} clients each)`],
    ["refused at upgrade", count(refused)],
    ["one address", probe],
    [
      "job events sent",
      `${fmt.n(flow.sent)} in ${flowSeconds.toFixed(1)} s (${(flow.sent / flowSeconds).toFixed(0)}/s, ${flow.failed} failed, names ${opts.jobNameChars} chars)`,
    ],
    [
      "CPU during the flow (1.0 = one core)",
      `Manager ${cpuShare.manager.toFixed(2)}, this suite ${cpuShare.suite.toFixed(2)}, ${navigator.hardwareConcurrency} cores`,
    ],
    ["frames read per reading client", readers.size ? fmt.n(readerFrames / readers.size) : "-"],
    ["reading clients disconnected", String(readersCut.length)],
    ["silent clients closed with 1008", String(closed1008)],
    [
      "silent clients closed otherwise",
      `${closedOther} with another code, ${droppedSilently} without a close frame`,
    ],
    ["silent clients still open after draining", String(stillOpen)],
    ["Manager log: clients closed as too slow", String(loggedSlow)],
    ["peak RSS", fmt.mb(peakRss)],
    ["RSS at end", fmt.mb(endRss)],
    ...PHASES.map((p): [string, string] => [`version p50 / p99 / max ${p}`, latency(phase(p))]),
    ["duration", `${((performance.now() - startedAt) / 1000).toFixed(1)} s`],
  ];
  const p99Checks = (opts.judgeLatency ? PHASES : []).map((p) => {
    const s = phase(p);
    return check(
      `version p99 < ${VERSION_P99_LIMIT_MS} ms ${p}`,
      s !== undefined && s.p99Ms < VERSION_P99_LIMIT_MS,
      s ? `${fmt.ms(s.p99Ms)} over ${s.samples} samples` : "no samples",
    );
  });
  const failedProbes = phases.reduce((n, p) => n + p.errors, 0);
  return finish(figures, [
    check(
      "all clients connected and subscribed",
      clients.length === opts.clients,
      `${clients.length} of ${opts.clients}`,
    ),
    check(
      "job events flowed, every request answered 2xx",
      flow.sent > 0 && flow.failed === 0,
      `${flow.sent} sent, ${flow.failed} failed`,
    ),
    check(`peak RSS < ${fmt.mb(RSS_LIMIT_BYTES)}`, peakRss < RSS_LIMIT_BYTES, fmt.mb(peakRss)),
    ...p99Checks,
    check("version answered throughout", failedProbes === 0 && alive, `${failedProbes} probes failed`),
    check(
      "no reading client disconnected",
      readersCut.length === 0,
      `${readersCut.length} of ${readers.size}`,
    ),
    check("Manager stops cleanly", exit === 0, `exit ${exit}`),
  ]);
}

/** How many connections one address gets (up to PER_ADDRESS_PROBE_MAX), and what the next one got. */
async function probePerAddressLimit(url: string): Promise<string> {
  const opened: RawClient[] = [];
  let refusal = "";
  while (opened.length < PER_ADDRESS_PROBE_MAX && !refusal) {
    const c = await connectRaw(url, {
      localAddress: PROBE_ADDRESS,
      keepFramesUpTo: KEEP_FRAME_BYTES,
      timeoutMs: OPEN_TIMEOUT_MS,
    }).catch((err: Error) => err.message);
    if (typeof c === "string") refusal = c;
    else if (!c.upgraded) {
      refusal = `HTTP ${c.statusCode}`;
      c.destroy();
    } else opened.push(c);
  }
  // Closed properly and waited for, so that they do not count against the clients that follow.
  for (const c of opened) c.close();
  await Promise.all(
    opened.map((c) => c.until(() => c.ended, OPEN_TIMEOUT_MS, "the probe to close").catch(() => c.destroy())),
  );
  return refusal
    ? `${opened.length} accepted, then ${refusal}`
    : `${opened.length} accepted (no limit up to ${PER_ADDRESS_PROBE_MAX})`;
}
