// `bun run stress`: Flamenco's load tool (the stresser), rebuilt. N fake workers, each a sequential
// client of the generated Manager API client, load a Manager for a fixed time; the tool prints
// request rates, latency percentiles and status codes every few seconds and at the end.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import createClient from "openapi-fetch";
import pMap from "p-map";
import { goPlatformName } from "../shared/platform";
import { PRODUCT_VERSION } from "../shared/version";
import { basicAuthHeader, type AssignedTask, type ManagerApi, type TaskUpdate } from "./client";
import type { paths } from "./client/schema";
import { DEFAULT_TASK_TYPES } from "./config";
import { sleepUnlessAborted } from "./wait";

/**
 * What each fake worker does once signed on:
 * - `update`: Flamenco's stresser — get one task, then send task updates for it as fast as possible;
 * - `schedule`: Flamenco's unused alternative — call scheduleTask as fast as possible;
 * - `cycle`: like a real worker with instant commands — get a task, send `updatesPerTask` updates
 *   with log lines, report it completed, repeat.
 */
export const STRESS_MODES = ["update", "schedule", "cycle"] as const;
export type StressMode = (typeof STRESS_MODES)[number];

export const DEFAULT_MANAGER_URL = "http://localhost:8080/";
export const DEFAULT_CREDENTIALS_PATH = "stresser.csv";
export const DEFAULT_DURATION_S = 60;
export const DEFAULT_UPDATES_PER_TASK = 3;
export const REPORT_INTERVAL_MS = 2_000;
/** Registration plus sign-on of one fake worker, as in Flamenco. */
export const SIGN_ON_LIMIT_MS = 10_000;
export const SIGN_OFF_LIMIT_MS = 1_000;
/**
 * Fake workers signing on at once. They share one address, and the Manager reserves a slot of its
 * per-address auth throttle for every first sign-on until its secret is verified: a crowd of
 * hundreds would be refused with 429.
 */
export const SIGN_ON_CONCURRENCY = 32;
/** Fake workers start their loops spread over this much time. */
export const START_STAGGER_MAX_MS = 500;
export const NO_TASK_RETRY_MS = 1_000;
export const ERROR_RETRY_MS = 2_000;
/** Requests still in flight this long after the end are aborted. */
export const STOP_GRACE_MS = 5_000;
const LATENCY_BUCKET_MS = 0.1;

const LOG_LINE = "This is a log-line for stress testing. It will be repeated more than once.\n";
export const STRESS_LOG_TEXT = LOG_LINE.repeat(5);

export interface StressOptions {
  managerURL: string;
  workers: number;
  durationMs: number;
  mode: StressMode;
  /** Only for `cycle`: task updates between assignment and completion. */
  updatesPerTask?: number;
  /** Load runs this long before measuring starts (fake workers start up outside both). */
  warmupMs?: number;
  /** The run stops early once this many tasks were assigned, warm-up included. */
  maxAssignments?: number;
  /** Flamenco's `stresser.csv` (Name,UUID,Secret); null keeps identities in memory only. */
  credentialsPath: string | null;
  /** Stops the run early; the final report covers the time measured until then. */
  signal?: AbortSignal;
  /** Called every REPORT_INTERVAL_MS with the numbers of that interval. */
  onInterval?: (report: StressReport) => void;
  /** Called when measuring starts (after start-up and warm-up). */
  onMeasuring?: () => void;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface StressReport {
  /** Seconds since measuring started (for interval reports: at the interval's end). */
  elapsedS: number;
  /** Length of the time these numbers cover. */
  windowS: number;
  requests: number;
  /** Transport errors and answers the fake worker did not expect (see `statusCodes`). */
  failed: number;
  /** scheduleTask answered 200. */
  assignments: number;
  /** taskUpdate answered 204 (progress, logs and the final status alike). */
  taskUpdates: number;
  /** taskUpdate with status `completed` answered 204. */
  completedTasks: number;
  requestsPerS: number;
  assignmentsPerS: number;
  taskUpdatesPerS: number;
  latency: { all: LatencySummary; scheduleTask: LatencySummary; taskUpdate: LatencySummary };
  /** "<operation> <HTTP status or error>" → count. */
  statusCodes: Record<string, number>;
  /** Fake workers that signed on; the others are described in `workerErrors`. */
  workersRunning: number;
  workerErrors: string[];
}

/** Latencies in LATENCY_BUCKET_MS buckets: bounded memory however long the run. */
export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private total = 0;

  record(ms: number): void {
    const bucket = Math.round(ms / LATENCY_BUCKET_MS);
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
    this.total++;
  }

  addAll(other: LatencyHistogram): void {
    for (const [bucket, n] of other.buckets) this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + n);
    this.total += other.total;
  }

  summary(): LatencySummary {
    const sorted = [...this.buckets.entries()].sort((a, b) => a[0] - b[0]);
    const at = (q: number) => {
      let seen = 0;
      for (const [bucket, n] of sorted) {
        seen += n;
        if (seen >= q * this.total) return round1(bucket * LATENCY_BUCKET_MS);
      }
      return Number.NaN;
    };
    return { count: this.total, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
  }
}

type Operation = "scheduleTask" | "taskUpdate";
type Outcome = "assigned" | "updated" | "completed" | "idle" | "failed";

/** Counters over one span of time. */
class Tally {
  readonly startedAt = performance.now();
  requests = 0;
  failed = 0;
  assignments = 0;
  taskUpdates = 0;
  completedTasks = 0;
  readonly latency = { scheduleTask: new LatencyHistogram(), taskUpdate: new LatencyHistogram() };
  readonly statusCodes = new Map<string, number>();

  add(op: Operation, status: number | "error", outcome: Outcome, ms: number): void {
    this.requests++;
    this.latency[op].record(ms);
    const key = `${op} ${status}`;
    this.statusCodes.set(key, (this.statusCodes.get(key) ?? 0) + 1);
    if (outcome === "failed") this.failed++;
    else if (outcome === "assigned") this.assignments++;
    else if (outcome === "updated" || outcome === "completed") {
      this.taskUpdates++;
      if (outcome === "completed") this.completedTasks++;
    }
  }

  report(measureStart: number, now: number, workersRunning: number, workerErrors: string[]): StressReport {
    const windowS = (now - this.startedAt) / 1000;
    const perS = (n: number) => (windowS > 0 ? round1(n / windowS) : 0);
    const all = new LatencyHistogram();
    all.addAll(this.latency.scheduleTask);
    all.addAll(this.latency.taskUpdate);
    return {
      elapsedS: round1((now - measureStart) / 1000),
      windowS: round1(windowS),
      requests: this.requests,
      failed: this.failed,
      assignments: this.assignments,
      taskUpdates: this.taskUpdates,
      completedTasks: this.completedTasks,
      requestsPerS: perS(this.requests),
      assignmentsPerS: perS(this.assignments),
      taskUpdatesPerS: perS(this.taskUpdates),
      latency: {
        all: all.summary(),
        scheduleTask: this.latency.scheduleTask.summary(),
        taskUpdate: this.latency.taskUpdate.summary(),
      },
      statusCodes: Object.fromEntries([...this.statusCodes.entries()].sort()),
      workersRunning,
      workerErrors,
    };
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export interface StressIdentity {
  name: string;
  uuid: string;
  secret: string;
}

/** Reads Flamenco's stresser CSV; a missing file is an empty list. */
export function loadIdentities(path: string): StressIdentity[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const [header, ...rows] = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (header === undefined) return [];
  if (header.trim() !== "Name,UUID,Secret")
    throw new Error(`${path}: expected the header "Name,UUID,Secret"`);
  return rows.map((row, i) => {
    const [name, uuid, secret] = row.split(",");
    if (!name || !uuid || secret === undefined)
      throw new Error(`${path}: line ${i + 2} is not "Name,UUID,Secret"`);
    return { name, uuid, secret };
  });
}

export function saveIdentities(path: string, identities: StressIdentity[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const rows = identities.map((id) => `${id.name},${id.uuid},${id.secret}`);
  writeFileSync(path, ["Name,UUID,Secret", ...rows].join("\n") + "\n");
}

/**
 * The first `count` identities, made up where the list is short: Flamenco's `stresser <i>` with
 * a random UUID the Manager does not know yet, so that fake worker registers on first use.
 */
export function identitiesFor(existing: StressIdentity[], count: number): StressIdentity[] {
  const all = [...existing];
  for (let i = all.length; i < count; i++) {
    all.push({ name: `stresser ${i + 1}`, uuid: crypto.randomUUID(), secret: `password-${i + 1}` });
  }
  return all;
}

/**
 * The generated client for one Manager; with credentials, as that worker. Not the worker's own
 * client (./client): that one copies every request to add a timeout timer and sets the auth header
 * per request, which costs the load generator CPU that the server under test would miss.
 */
export function createStressClient(
  managerURL: string,
  credentials?: { uuid: string; secret: string },
): ManagerApi {
  const headers: Record<string, string> = { "User-Agent": `Tablao-stresser/${PRODUCT_VERSION}` };
  if (credentials) headers.Authorization = basicAuthHeader(credentials.uuid, credentials.secret);
  return createClient<paths>({ baseUrl: managerURL.replace(/\/+$/, ""), headers });
}

class FatalWorkerError extends Error {}

/**
 * Signs on with `identity`, registering a new worker when the Manager refuses its credentials.
 * One made up here (`stored` false) registers first: the Manager does not know it, and a crowd of
 * failed sign-ons from one address would be throttled.
 */
async function signOn(
  managerURL: string,
  identity: StressIdentity,
  stored: boolean,
  signal: AbortSignal,
): Promise<ManagerApi> {
  const signOnBody = {
    name: identity.name,
    supported_task_types: [...DEFAULT_TASK_TYPES],
    software_version: `Tablao stresser ${PRODUCT_VERSION}`,
    can_restart: false,
  };
  const postSignOn = (api: ManagerApi) => api.POST("/api/v3/worker/sign-on", { body: signOnBody, signal });
  let client = createStressClient(managerURL, identity);
  let signedOn = stored ? await postSignOn(client) : null;
  if (signedOn?.response.status !== 200) {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    const registered = await createStressClient(managerURL).POST("/api/v3/worker/register-worker", {
      body: {
        name: identity.name,
        platform: goPlatformName(process.platform),
        secret,
        supported_task_types: [...DEFAULT_TASK_TYPES],
      },
      signal,
    });
    if (!registered.data)
      throw new FatalWorkerError(`registration refused: HTTP ${registered.response.status}`);
    identity.uuid = registered.data.uuid;
    identity.secret = secret;
    client = createStressClient(managerURL, identity);
    signedOn = await postSignOn(client);
  }
  if (!signedOn.data) throw new FatalWorkerError(`sign-on refused: HTTP ${signedOn.response.status}`);
  if (signedOn.data.status_requested !== "awake") {
    throw new FatalWorkerError(
      `the Manager wants this worker "${signedOn.data.status_requested}", not awake`,
    );
  }
  const changed = await client.POST("/api/v3/worker/state-changed", { body: { status: "awake" }, signal });
  if (changed.response.status !== 204)
    throw new FatalWorkerError(`state-changed refused: HTTP ${changed.response.status}`);
  return client;
}

/** A fake worker that signed on, and its name for error messages. */
interface StartedWorker {
  name: string;
  client: ManagerApi;
}

/**
 * Runs the stress test and resolves with the numbers of the measured time. Fake workers that
 * cannot start are reported in `workerErrors`; the run fails only if none can.
 */
export async function runStress(opts: StressOptions): Promise<StressReport> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1)
    throw new Error("workers must be a positive integer");
  const updatesPerTask = opts.updatesPerTask ?? DEFAULT_UPDATES_PER_TASK;
  const stored = opts.credentialsPath ? loadIdentities(opts.credentialsPath) : [];
  const identities = identitiesFor(stored, opts.workers);
  const workerErrors: string[] = [];

  // Each fake worker's sign-on outcome, in the order of the identities, with its name.
  const startups: (StartedWorker | { name: string; error: string })[] = await pMap(
    identities.slice(0, opts.workers),
    async (identity, i) => {
      const limit = AbortSignal.timeout(SIGN_ON_LIMIT_MS);
      const signal = opts.signal ? AbortSignal.any([limit, opts.signal]) : limit;
      const { name } = identity;
      try {
        // signOn() stores a new registration's uuid and secret in `identity`, saved below.
        return { name, client: await signOn(opts.managerURL, identity, i < stored.length, signal) };
      } catch (err) {
        return { name, error: (err as Error).message };
      }
    },
    { concurrency: SIGN_ON_CONCURRENCY },
  );
  const clients: StartedWorker[] = [];
  for (const s of startups) {
    if ("client" in s) clients.push(s);
    else workerErrors.push(`${s.name}: ${s.error}`);
  }
  if (opts.credentialsPath) saveIdentities(opts.credentialsPath, identities);
  if (clients.length === 0)
    throw new Error(`no fake worker could start: ${workerErrors[0] ?? "unknown reason"}`);

  // `stop` ends the loops between requests; `hardStop` aborts requests that outlive the grace.
  const stop = new AbortController();
  const hardStop = new AbortController();
  const onExternalAbort = () => stop.abort();
  opts.signal?.addEventListener("abort", onExternalAbort);
  if (opts.signal?.aborted) stop.abort();
  stop.signal.addEventListener("abort", () => setTimeout(() => hardStop.abort(), STOP_GRACE_MS).unref());

  const loadStart = performance.now();
  let measureStart = loadStart + (opts.warmupMs ?? 0);
  const measureEnd = measureStart + opts.durationMs;
  let total = new Tally();
  let interval = new Tally();
  let measuring = false;
  let globalUpdateCount = 0;
  let assignedSinceStart = 0;

  const record = (op: Operation, status: number | "error", outcome: Outcome, startedAt: number) => {
    const now = performance.now();
    if (stop.signal.aborted) return;
    if (outcome === "assigned" && ++assignedSinceStart >= (opts.maxAssignments ?? Infinity)) stop.abort();
    if (!measuring) return;
    total.add(op, status, outcome, now - startedAt);
    interval.add(op, status, outcome, now - startedAt);
  };

  const scheduleTask = async (
    client: ManagerApi,
  ): Promise<{ status: number | "error"; task?: AssignedTask }> => {
    const startedAt = performance.now();
    try {
      const r = await client.POST("/api/v3/worker/task", { signal: hardStop.signal });
      const status = r.response.status;
      record(
        "scheduleTask",
        status,
        status === 200 ? "assigned" : status === 204 ? "idle" : "failed",
        startedAt,
      );
      return { status, task: r.data };
    } catch {
      record("scheduleTask", "error", "failed", startedAt);
      return { status: "error" };
    }
  };

  const taskUpdate = async (
    client: ManagerApi,
    taskUUID: string,
    body: TaskUpdate,
  ): Promise<number | "error"> => {
    const startedAt = performance.now();
    try {
      const r = await client.POST("/api/v3/worker/task/{task_id}", {
        params: { path: { task_id: taskUUID } },
        body,
        signal: hardStop.signal,
      });
      const status = r.response.status;
      const ok = body.taskStatus === "completed" ? "completed" : "updated";
      record("taskUpdate", status, status === 204 ? ok : "failed", startedAt);
      return status;
    } catch {
      record("taskUpdate", "error", "failed", startedAt);
      return "error";
    }
  };

  /** Flamenco's fetch loop: no task → retry after a second, other trouble → after two. */
  const fetchTask = async (client: ManagerApi): Promise<AssignedTask | null> => {
    while (!stop.signal.aborted) {
      const { status, task } = await scheduleTask(client);
      if (task) return task;
      if (status === 423) throw new FatalWorkerError("the Manager requests a status change (423)");
      await sleepUnlessAborted(status === 204 ? NO_TASK_RETRY_MS : ERROR_RETRY_MS, stop.signal);
    }
    return null;
  };

  const loops: Record<StressMode, (client: ManagerApi) => Promise<void>> = {
    async update(client) {
      const nanosStart = process.hrtime.bigint();
      while (!stop.signal.aborted) {
        const task = await fetchTask(client);
        if (!task) return;
        await taskUpdate(client, task.uuid, {
          activity: "Stress testing",
          taskStatus: "active",
          steps_completed: 0,
        });
        while (!stop.signal.aborted) {
          const nanos = Number(process.hrtime.bigint() - nanosStart);
          const status = await taskUpdate(client, task.uuid, {
            activity: `stress test update ${++globalUpdateCount}`,
            log: STRESS_LOG_TEXT,
            steps_completed: task.steps_total > 0 ? nanos % task.steps_total : nanos,
          });
          // Flamenco keeps hammering a task it lost; getting a new one keeps the load meaningful.
          if (status === 409) break;
        }
      }
    },
    async schedule(client) {
      while (!stop.signal.aborted) {
        const { status } = await scheduleTask(client);
        if (status === 423) throw new FatalWorkerError("the Manager requests a status change (423)");
      }
    },
    async cycle(client) {
      while (!stop.signal.aborted) {
        const task = await fetchTask(client);
        if (!task) return;
        let kept = true;
        for (let i = 1; i <= updatesPerTask && kept && !stop.signal.aborted; i++) {
          const status = await taskUpdate(client, task.uuid, {
            activity: `stress test update ${i} of ${updatesPerTask}`,
            log: STRESS_LOG_TEXT,
            steps_completed: Math.floor((i * task.steps_total) / (updatesPerTask + 1)),
          });
          kept = status === 204;
        }
        if (kept && !stop.signal.aborted) {
          await taskUpdate(client, task.uuid, {
            activity: "stress test done",
            taskStatus: "completed",
            steps_completed: task.steps_total,
          });
        }
      }
    },
  };

  const startMeasuring = () => {
    measuring = true;
    measureStart = performance.now();
    total = new Tally();
    interval = new Tally();
    opts.onMeasuring?.();
  };
  const warmupTimer = opts.warmupMs ? setTimeout(startMeasuring, opts.warmupMs) : undefined;
  if (!warmupTimer) startMeasuring();
  const reporter = setInterval(() => {
    if (!measuring) return;
    opts.onInterval?.(interval.report(measureStart, performance.now(), clients.length, workerErrors));
    interval = new Tally();
  }, REPORT_INTERVAL_MS);
  const endTimer = setTimeout(() => stop.abort(), measureEnd - loadStart);

  const runs = clients.map(async ({ name, client }) => {
    await sleepUnlessAborted(Math.random() * START_STAGGER_MAX_MS, stop.signal);
    try {
      await loops[opts.mode](client);
    } catch (err) {
      workerErrors.push(`${name}: ${(err as Error).message}`);
    }
  });
  if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
  const final = total.report(measureStart, performance.now(), clients.length, workerErrors);
  clearInterval(reporter);
  clearTimeout(warmupTimer);
  clearTimeout(endTimer);
  opts.signal?.removeEventListener("abort", onExternalAbort);
  await Promise.all(runs);

  await Promise.allSettled(
    clients.map(({ client }) =>
      client.POST("/api/v3/worker/sign-off", { signal: AbortSignal.timeout(SIGN_OFF_LIMIT_MS) }),
    ),
  );
  if (opts.credentialsPath) saveIdentities(opts.credentialsPath, identities);
  return final;
}

export function formatInterval(r: StressReport): string {
  return (
    `${r.elapsedS.toFixed(1).padStart(6)}s  ${String(r.requests).padStart(6)} requests ` +
    `(${r.requestsPerS.toFixed(1)}/s)  failed ${r.failed}  assigned ${r.assignmentsPerS.toFixed(1)}/s  ` +
    `updates ${r.taskUpdatesPerS.toFixed(1)}/s  p50 ${r.latency.all.p50Ms} ms  p99 ${r.latency.all.p99Ms} ms`
  );
}

export function formatFinal(r: StressReport): string {
  const lat = (name: string, l: LatencySummary) =>
    `  ${name.padEnd(13)} ${String(l.count).padStart(8)} requests  p50 ${l.p50Ms} ms  p99 ${l.p99Ms} ms  max ${l.maxMs} ms`;
  return [
    `measured ${r.windowS}s with ${r.workersRunning} fake workers`,
    `  requests      ${r.requests} (${r.requestsPerS}/s), failed ${r.failed}`,
    `  assignments   ${r.assignments} (${r.assignmentsPerS}/s)`,
    `  task updates  ${r.taskUpdates} (${r.taskUpdatesPerS}/s), of which ${r.completedTasks} completed a task`,
    "latency:",
    lat("all", r.latency.all),
    lat("scheduleTask", r.latency.scheduleTask),
    lat("taskUpdate", r.latency.taskUpdate),
    "status codes:",
    ...Object.entries(r.statusCodes).map(([k, n]) => `  ${k.padEnd(17)} ${n}`),
    ...(r.workerErrors.length ? ["fake worker errors:", ...r.workerErrors.map((e) => `  ${e}`)] : []),
  ].join("\n");
}

const USAGE = `Usage: npm run stress -- [options]

  --manager URL        Manager to load (default ${DEFAULT_MANAGER_URL})
  --workers N          fake workers, each one sequential client (default 1)
  --duration S         seconds to measure (default ${DEFAULT_DURATION_S}); Ctrl-C ends earlier
  --warmup S           seconds of load before measuring (default 0)
  --mode MODE          update (default, like Flamenco's stresser), schedule, or cycle
  --updates K          cycle mode: task updates per task before completing it (default ${DEFAULT_UPDATES_PER_TASK})
  --credentials FILE   fake worker identities, Name,UUID,Secret (default ${DEFAULT_CREDENTIALS_PATH})
  --help               show this text

The Manager needs at least N queued tasks of types ${DEFAULT_TASK_TYPES.join(", ")} (more in cycle mode).`;

/** Parses the command line; throws with a message for the user on bad input. */
export function parseStressArgs(argv: string[]): StressOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      manager: { type: "string", default: DEFAULT_MANAGER_URL },
      workers: { type: "string", default: "1" },
      duration: { type: "string", default: String(DEFAULT_DURATION_S) },
      warmup: { type: "string", default: "0" },
      mode: { type: "string", default: "update" },
      updates: { type: "string", default: String(DEFAULT_UPDATES_PER_TASK) },
      credentials: { type: "string", default: DEFAULT_CREDENTIALS_PATH },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  const number = (flag: string, text: string, min: number, integer: boolean) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new Error(
        `--${flag} must be ${integer ? "an integer" : "a number"} of at least ${min}, not "${text}"`,
      );
    }
    return n;
  };
  if (!(STRESS_MODES as readonly string[]).includes(values.mode)) {
    throw new Error(`--mode must be one of ${STRESS_MODES.join(", ")}, not "${values.mode}"`);
  }
  if (!/^https?:$/.test(URL.parse(values.manager)?.protocol ?? "")) {
    throw new Error(
      `--manager must be an http(s) URL such as ${DEFAULT_MANAGER_URL}, not "${values.manager}"`,
    );
  }
  return {
    managerURL: values.manager,
    workers: number("workers", values.workers, 1, true),
    durationMs: number("duration", values.duration, 0.1, false) * 1000,
    warmupMs: number("warmup", values.warmup, 0, false) * 1000,
    mode: values.mode as StressMode,
    updatesPerTask: number("updates", values.updates, 0, true),
    credentialsPath: values.credentials,
  };
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseStressArgs(Bun.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts === "help") {
    console.log(USAGE);
    return 0;
  }
  const interrupted = new AbortController();
  process.once("SIGINT", () => interrupted.abort());
  console.log(`stressing ${opts.managerURL} with ${opts.workers} fake workers, mode ${opts.mode}`);
  try {
    const report = await runStress({
      ...opts,
      signal: interrupted.signal,
      onInterval: (r) => console.log(formatInterval(r)),
    });
    console.log(formatFinal(report));
    return 0;
  } catch (err) {
    console.error(`stress: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main());
