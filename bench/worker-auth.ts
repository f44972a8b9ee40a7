// Worker-authentication brute-force benchmark: a real Manager process on 127.0.0.1, one valid
// worker polling `GET worker/state` 10,000 times alone, then again while an attacker (a child
// process on the same machine, so the same client address) sends 10,000 wrong secrets for that
// worker with high concurrency. Prints the valid worker's time and latencies alone and under
// attack, and what the attacker got: how long its attempts took, how many were checked (403)
// and how many refused unchecked (429). See docs/worker-protocol.md#throttling.
// Each of 3 rounds runs on a fresh Manager, and the figures are the rounds' medians.
// Run: `bun bench/worker-auth.ts` (about two minutes: the attacker's delayed failures take 30 s
// per round).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  FAILED_AUTH_BURST,
  FAILED_AUTH_INTERVAL_MS,
  FAILED_AUTH_MAX_DELAY_MS,
} from "../src/manager/farm/auth-throttle";
import { basicAuthHeader } from "../src/worker/client";
import { killChildren, startManager } from "../test/support/processes";
import { formatTable, median, quantile } from "./report";

const ROUNDS = 3;
const VALID_REQUESTS = 10_000;
const WARMUP_REQUESTS = 500;
const ATTACK_ATTEMPTS = 10_000;
const ATTACK_CONCURRENCY = 64;
/** Longer than any answer can be held back (the throttle's maximum delay), with room to spare. */
const ATTACK_TIMEOUT_MS = FAILED_AUTH_MAX_DELAY_MS + 60_000;
const WORKER_SECRET = "5eed".repeat(16);
const STATE_PATH = "/api/v3/worker/state";

type FromAttacker =
  | { kind: "started" }
  | { kind: "done"; durationMs: number; statuses: Record<string, number>; floodEndMs: number };

interface Latencies {
  count: number;
  totalMs: number;
  p50: number;
  p99: number;
  max: number;
}

/** One request of the valid worker: when it started (ms after `t0` of its run) and how long it took. */
interface Sample {
  atMs: number;
  ms: number;
}

function summarize(samples: Sample[], totalMs: number): Latencies {
  const ms = samples.map((s) => s.ms);
  return {
    count: ms.length,
    totalMs,
    p50: quantile(ms, 0.5),
    p99: quantile(ms, 0.99),
    max: quantile(ms, 1),
  };
}

/** `count` sequential authenticated polls, as one worker makes them; times relative to `t0`. */
async function poll(url: string, auth: string, count: number, t0 = performance.now()): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await fetch(`${url}${STATE_PATH}`, { headers: { Authorization: auth } });
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`valid worker got ${res.status} on request ${i}`);
    samples.push({ atMs: t - t0, ms: performance.now() - t });
  }
  return samples;
}

async function registerValidWorker(url: string): Promise<string> {
  const json = { "Content-Type": "application/json" };
  const reg = await fetch(`${url}/api/v3/worker/register-worker`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({
      name: "bench",
      secret: WORKER_SECRET,
      platform: "linux",
      supported_task_types: ["misc"],
    }),
  });
  if (reg.status !== 200) throw new Error(`registration: ${reg.status} ${await reg.text()}`);
  const { uuid } = (await reg.json()) as { uuid: string };
  const auth = basicAuthHeader(uuid, WORKER_SECRET);
  const signOn = await fetch(`${url}/api/v3/worker/sign-on`, {
    method: "POST",
    headers: { ...json, Authorization: auth },
    body: JSON.stringify({ name: "bench", supported_task_types: ["misc"], software_version: "bench" }),
  });
  if (signOn.status !== 200) throw new Error(`sign-on: ${signOn.status} ${await signOn.text()}`);
  return uuid;
}

/** The attacker process: wrong secrets for `uuid`, `concurrency` at a time. */
async function attack(url: string, uuid: string, attempts: number, concurrency: number): Promise<void> {
  const send = (m: FromAttacker) => process.send?.(m);
  const statuses: Record<string, number> = {};
  let next = 0;
  let floodEndMs = 0;
  const start = performance.now();
  send({ kind: "started" });
  const lane = async () => {
    while (next < attempts) {
      const i = next++;
      let status: string;
      try {
        const res = await fetch(`${url}${STATE_PATH}`, {
          headers: { Authorization: basicAuthHeader(uuid, `guess-${i}-${crypto.randomUUID()}`) },
          signal: AbortSignal.timeout(ATTACK_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        status = String(res.status);
      } catch (err) {
        status = (err as Error).name;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === "429") floodEndMs = performance.now() - start;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  send({ kind: "done", durationMs: performance.now() - start, statuses, floodEndMs });
}

interface Round {
  alone: Latencies;
  underAttack: Latencies;
  /** The valid worker's requests sent while the attacker's unchecked attempts were still coming. */
  duringFlood: Latencies;
  validEndMs: number;
  attack: Extract<FromAttacker, { kind: "done" }>;
}

/** A fresh Manager (empty throttle and credentials cache), the valid worker alone, then attacked. */
async function round(): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), "tablao-bench-worker-auth-"));
  const manager = await startManager(dir);
  try {
    const uuid = await registerValidWorker(manager.url);
    const auth = basicAuthHeader(uuid, WORKER_SECRET);
    await poll(manager.url, auth, WARMUP_REQUESTS);
    let t0 = performance.now();
    const alone = summarize(await poll(manager.url, auth, VALID_REQUESTS, t0), performance.now() - t0);

    let started!: () => void;
    const attackStarted = new Promise<void>((resolve) => (started = resolve));
    let finished!: (m: Extract<FromAttacker, { kind: "done" }>) => void;
    const attackDone = new Promise<Extract<FromAttacker, { kind: "done" }>>(
      (resolve) => (finished = resolve),
    );
    const attacker = Bun.spawn([process.execPath, import.meta.path, "--attacker", manager.url, uuid], {
      stdio: ["ignore", "inherit", "inherit"],
      ipc: (m: FromAttacker) => (m.kind === "started" ? started() : finished(m)),
    });
    await attackStarted;
    t0 = performance.now();
    const samples = await poll(manager.url, auth, VALID_REQUESTS, t0);
    const validEndMs = performance.now() - t0;
    const attack = await attackDone;
    await attacker.exited;
    const flood = samples.filter((s) => s.atMs < attack.floodEndMs);
    return {
      alone,
      underAttack: summarize(samples, validEndMs),
      duringFlood: summarize(
        flood,
        flood.reduce((sum, s) => sum + s.ms, 0),
      ),
      validEndMs,
      attack,
    };
  } finally {
    await manager.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      console.log(`round ${i + 1} of ${ROUNDS}...`);
      rounds.push(await round());
    }
  } finally {
    await killChildren();
  }
  const fmt = (n: number, digits = 2) => n.toFixed(digits);
  const med = (f: (r: Round) => number) => median(rounds.map(f));

  console.log(`\nValid worker: ${VALID_REQUESTS} sequential GET ${STATE_PATH} (credentials remembered),`);
  console.log(`median of ${ROUNDS} rounds, each on a fresh Manager\n`);
  const row = (name: string, l: (r: Round) => Latencies) => [
    name,
    String(Math.round(med((r) => l(r).count))),
    fmt(med((r) => l(r).totalMs)),
    fmt(med((r) => l(r).p50)),
    fmt(med((r) => l(r).p99)),
    fmt(med((r) => l(r).max)),
  ];
  /** Total time is compared only for the whole run: the flood's share is fewer requests. */
  const ratio = (l: (r: Round) => Latencies, withTotal: boolean) => [
    "  ratio to alone",
    "",
    withTotal ? fmt(med((r) => l(r).totalMs / r.alone.totalMs)) : "",
    fmt(med((r) => l(r).p50 / r.alone.p50)),
    fmt(med((r) => l(r).p99 / r.alone.p99)),
    fmt(med((r) => l(r).max / r.alone.max)),
  ];
  console.log(
    formatTable(
      ["", "requests", "total ms", "p50 ms", "p99 ms", "max ms"],
      [
        row("alone", (r) => r.alone),
        row("under attack (whole run)", (r) => r.underAttack),
        ratio((r) => r.underAttack, true),
        row("while the 429 flood ran", (r) => r.duringFlood),
        ratio((r) => r.duringFlood, false),
      ],
      1,
    ),
  );

  console.log(
    `\nAttacker: ${ATTACK_ATTEMPTS} wrong secrets, ${ATTACK_CONCURRENCY} at a time, same address\n`,
  );
  const status = (r: Round, s: string) => r.attack.statuses[s] ?? 0;
  const other = (r: Round) =>
    Object.entries(r.attack.statuses)
      .filter(([s]) => s !== "403" && s !== "429")
      .reduce((sum, [, n]) => sum + n, 0);
  const bound = (r: Round) =>
    FAILED_AUTH_BURST +
    FAILED_AUTH_MAX_DELAY_MS / FAILED_AUTH_INTERVAL_MS +
    Math.floor(r.attack.durationMs / FAILED_AUTH_INTERVAL_MS);
  console.log(
    formatTable(
      [
        "round",
        "all answered s",
        "last 429 s",
        "valid run s",
        "checked (403)",
        "unchecked (429)",
        "other",
        "check bound",
      ],
      rounds.map((r, i) => [
        String(i + 1),
        fmt(r.attack.durationMs / 1000, 1),
        fmt(r.attack.floodEndMs / 1000),
        fmt(r.validEndMs / 1000),
        String(status(r, "403")),
        String(status(r, "429")),
        String(other(r)),
        String(bound(r)),
      ]),
    ),
  );
}

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { attacker: { type: "boolean", default: false } },
  allowPositionals: true,
});
if (values.attacker) {
  const [url, uuid] = positionals;
  if (!url || !uuid) throw new Error("--attacker URL UUID");
  await attack(url, uuid, ATTACK_ATTEMPTS, ATTACK_CONCURRENCY);
  process.exit(0);
} else {
  await main();
}
