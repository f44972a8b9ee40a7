// Dispatch benchmark: how soon idle workers start new work, and how fast they get through it.
// A Manager process (temp dir, on disk) and N real worker processes (`bun run worker`'s entry,
// each with its own FLAMENCO_HOME, at Flamenco's real timing) wait idle; then, per round, a job
// of 1,000 zero-length tasks (a job type in the Manager's scripts folder: one `sleep 0` each) is
// submitted. From the Manager's job events, received over MQTT (a mosquitto the bench starts;
// the /ws feed batches frames for 10 ms, too coarse here): the time from the job's commit (its
// first event) to its first active task (the job turning `active`), and the tasks completed per
// second from then until the job completes. The same workers then run with
// TABLAO_WORKER_FLAMENCO_POLLING=1, as Flamenco's worker polls (20 s after "no task", 2 s + 3 s
// after each task); those rounds are cut after a window and the job cancelled.
// Capacity mode: 1,000 idle long-polling clients (a child process of this script, plain fetch)
// against a fresh Manager: its RSS growth and CPU time over 30 s of idleness.
//
// Run: `bun run bench:dispatch` (about 3 minutes); `--workers 20 --rounds 10 --polling-rounds 2
// --clients 1000 --idle-s 30`, `--no-capacity` or `--capacity-only`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { LONG_POLL_HEADER } from "../src/shared/long-poll";
import {
  killChildren,
  managerApi,
  startManager,
  startWorker,
  type ManagerProcess,
  type WorkerProcess,
} from "../test/support/processes";
import { startMosquitto } from "../test/support/mosquitto";
import { waitFor } from "../test/support/wait";
import { readCpuSeconds, readRssBytes } from "./proc-stats";
import { formatTable, quantile } from "./report";

const DEFAULT_WORKERS = 20;
const DEFAULT_ROUNDS = 10;
const DEFAULT_POLLING_ROUNDS = 2;
const DEFAULT_CLIENTS = 1_000;
const DEFAULT_IDLE_S = 30;
const TASKS_PER_JOB = 1_000;
const JOB_TYPE = "zero-length-tasks";

/** Targets of issue 16 for commit → first task active. */
const TARGET_P50_MS = 5;
const TARGET_P99_MS = 50;

/** A worker's first poll comes 3 s (± 10 %) after it is awake; then it is idle. */
const WORKER_SETTLE_MS = 4_000;
const WORKERS_AWAKE_TIMEOUT_MS = 90_000;
/** Pause between rounds, drawn at random so polling workers are caught at any point of their wait. */
const ROUND_GAP_MIN_MS = 1_000;
const ROUND_GAP_MAX_MS = 3_000;
/** A long-poll round that has not completed by then is cut (and reported as such). */
const LONG_POLL_ROUND_MAX_MS = 60_000;
/** Flamenco-style rounds are cut after this long from the first active task. */
const POLLING_WINDOW_MS = 10_000;
/** A polling worker may not look for 20 s (± 10 %). */
const FIRST_ACTIVE_TIMEOUT_MS = 30_000;
const CANCEL_TIMEOUT_MS = 30_000;
/** The job's first event follows its POST's answer closely; this is only a bound. */
const JOB_EVENT_TIMEOUT_MS = 5_000;
const MQTT_TOPIC_PREFIX = "flamenco";

/** Capacity: registrations and sign-ons in flight at once (64 first contacts per address is the throttle). */
const CAPACITY_SIGN_ON_CONCURRENCY = 16;
/** Asked of the Manager per held poll (it holds for at most its own bound). */
const CAPACITY_WAIT_S = 25;
/** The Manager's CPU use with the workers registered and none polling, measured this long. */
const CAPACITY_BASELINE_MS = 10_000;
/** After the last poll is sent, the Manager is given this long to hold them all. */
const CAPACITY_SETTLE_MS = 3_000;
const CAPACITY_READY_TIMEOUT_MS = 120_000;
/** Bun's fetch runs at most 256 requests at once unless told otherwise. */
const CAPACITY_CLIENT_MAX_HTTP_REQUESTS = 8_192;

const SCRIPT = `// bench:dispatch: tasks that do nothing, none depending on another.
const JOB_TYPE = {
    label: "Zero-length tasks (bench)",
    settings: [{ key: "tasks", type: "int32", default: ${TASKS_PER_JOB} }],
};

function compileJob(job) {
    for (let i = 0; i < job.settings.tasks; i++) {
        const task = author.Task("nothing " + i, "misc");
        task.addCommand(author.Command("sleep", { duration_in_seconds: 0 }));
        job.addTask(task);
    }
}
`;

type Mode = "long-poll" | "flamenco-polling";

interface Round {
  mode: Mode;
  round: number;
  /** POST sent → job committed (compiling and storing 1,000 tasks). */
  submitMs: number;
  /** Job committed (its first event) → first task active. */
  firstActiveMs: number;
  completed: number;
  /** Completed tasks per second from the first active task to the end of the round. */
  tasksPerS: number;
  /** The job completed within the round (else it was cut and cancelled). */
  finished: boolean;
}

/** When each status of each job was first heard of, on this process's clock. */
class JobEvents {
  private seen = new Map<string, Map<string, number>>();
  private waiters: (() => void)[] = [];

  /** Subscribes to the Manager's job events on the broker it forwards to. */
  static async connect(brokerUrl: string): Promise<{ events: JobEvents; close(): Promise<void> }> {
    const events = new JobEvents();
    const { hostname, port } = new URL(brokerUrl);
    const client = await mqtt.connectAsync({
      protocol: "mqtt",
      hostname,
      port: Number(port),
      protocolVersion: 5,
    });
    client.on("message", (_topic, message) => {
      const at = performance.now();
      const payload = JSON.parse(String(message)) as { id?: string; status?: string };
      if (payload.id && payload.status) events.record(payload.id, payload.status, at);
    });
    await client.subscribeAsync(`${MQTT_TOPIC_PREFIX}/jobs`, { qos: 0 });
    return { events, close: () => client.endAsync() };
  }

  private record(id: string, status: string, at: number): void {
    let statuses = this.seen.get(id);
    if (!statuses) this.seen.set(id, (statuses = new Map([["first", at]])));
    if (!statuses.has(status)) statuses.set(status, at);
    for (const wake of this.waiters.splice(0)) wake();
  }

  at(id: string, status: string): number | undefined {
    return this.seen.get(id)?.get(status);
  }

  /** When `id` first had one of `statuses`; null when `timeoutMs` passes first. */
  async when(id: string, statuses: string[], timeoutMs: number): Promise<number | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = statuses.map((s) => this.at(id, s)).find((t) => t !== undefined);
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) return null;
      const next = Promise.withResolvers<void>();
      this.waiters.push(next.resolve);
      await Promise.race([next.promise, Bun.sleep(left)]);
    }
  }
}

async function submitJob(url: string, name: string): Promise<{ id: string; postedAt: number }> {
  const postedAt = performance.now();
  const job = (await managerApi(url).post("/api/v3/jobs", {
    name,
    type: JOB_TYPE,
    priority: 50,
    submitter_platform: "linux",
    settings: { tasks: TASKS_PER_JOB },
  })) as { id: string };
  return { id: job.id, postedAt };
}

async function completedTasks(url: string, jobId: string): Promise<number> {
  const { tasks } = (await managerApi(url).get(`/api/v3/jobs/${jobId}/tasks`)) as {
    tasks: { status: string }[];
  };
  return tasks.filter((t) => t.status === "completed").length;
}

async function startWorkers(manager: ManagerProcess, count: number, mode: Mode, root: string) {
  const env: Record<string, string> = { TABLAO_WORKER_TIME_SCALE: "1" };
  if (mode === "flamenco-polling") env.TABLAO_WORKER_FLAMENCO_POLLING = "1";
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < count; i++) {
    const home = join(root, `${mode}-${i}`);
    mkdirSync(home, { recursive: true });
    workers.push(startWorker(manager.url, { name: `${mode}-${i}`, home, env }));
  }
  const ids = () => workers.map((w) => w.workerId());
  await waitFor(
    `${count} ${mode} workers to be awake`,
    async () => {
      const known = ids();
      if (known.some((id) => id === null)) return false;
      const { workers: listed } = (await managerApi(manager.url).get("/api/v3/worker-mgt/workers")) as {
        workers: { id: string; status: string }[];
      };
      const awake = new Set(listed.filter((w) => w.status === "awake").map((w) => w.id));
      return known.every((id) => awake.has(id!));
    },
    WORKERS_AWAKE_TIMEOUT_MS,
  );
  await Bun.sleep(WORKER_SETTLE_MS);
  return workers;
}

async function runRounds(
  manager: ManagerProcess,
  events: JobEvents,
  mode: Mode,
  rounds: number,
): Promise<Round[]> {
  const out: Round[] = [];
  for (let round = 1; round <= rounds; round++) {
    await Bun.sleep(ROUND_GAP_MIN_MS + Math.random() * (ROUND_GAP_MAX_MS - ROUND_GAP_MIN_MS));
    const { id, postedAt } = await submitJob(manager.url, `${mode} round ${round}`);
    const committedAt = await events.when(id, ["first"], JOB_EVENT_TIMEOUT_MS);
    const activeAt = await events.when(id, ["active", "completed"], FIRST_ACTIVE_TIMEOUT_MS);
    if (committedAt === null || activeAt === null)
      throw new Error(`${mode} round ${round}: no task became active`);
    const windowMs = mode === "long-poll" ? LONG_POLL_ROUND_MAX_MS : POLLING_WINDOW_MS;
    const endedAt = await events.when(id, ["completed"], activeAt + windowMs - performance.now());
    const finished = endedAt !== null;
    const end = endedAt ?? performance.now();
    const completed = finished ? TASKS_PER_JOB : await completedTasks(manager.url, id);
    if (!finished) {
      await managerApi(manager.url).post(`/api/v3/jobs/${id}/setstatus`, {
        status: "cancel-requested",
        reason: "bench:dispatch round over",
      });
      if ((await events.when(id, ["canceled"], CANCEL_TIMEOUT_MS)) === null)
        throw new Error(`${mode} round ${round}: the job was not cancelled`);
    }
    const r: Round = {
      mode,
      round,
      submitMs: committedAt - postedAt,
      firstActiveMs: activeAt - committedAt,
      completed,
      tasksPerS: completed / ((end - activeAt) / 1000),
      finished,
    };
    console.log(
      `  ${mode} round ${round}: commit → first active ${r.firstActiveMs.toFixed(1)} ms, ` +
        `${r.completed} tasks at ${r.tasksPerS.toFixed(0)}/s${finished ? "" : ` (cut after ${POLLING_WINDOW_MS / 1000} s)`}`,
    );
    out.push(r);
  }
  return out;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const mib = (bytes: number) => bytes / (1024 * 1024);

function summary(all: Round[]): { table: string; verdicts: string[] } {
  const modes: Mode[] = ["long-poll", "flamenco-polling"];
  const rows = modes
    .map((mode) => ({ mode, rounds: all.filter((r) => r.mode === mode) }))
    .filter((m) => m.rounds.length > 0)
    .map(({ mode, rounds }) => {
      const first = rounds.map((r) => r.firstActiveMs);
      const rates = rounds.map((r) => r.tasksPerS);
      return {
        mode,
        p50: quantile(first, 0.5),
        p99: quantile(first, 0.99),
        rate: quantile(rates, 0.5),
        cells: [
          mode,
          String(rounds.length),
          fmt(
            quantile(
              rounds.map((r) => r.submitMs),
              0.5,
            ),
          ),
          fmt(quantile(first, 0.5)),
          fmt(quantile(first, 0.99)),
          fmt(Math.max(...first)),
          fmt(quantile(rates, 0.5), 0),
          `${rounds.filter((r) => r.finished).length}/${rounds.length}`,
        ],
      };
    });
  const table = formatTable(
    [
      "workers poll",
      "rounds",
      "POST→commit p50 ms",
      "commit→active p50 ms",
      "p99 ms",
      "max ms",
      "tasks/s p50",
      "jobs done",
    ],
    rows.map((r) => r.cells),
    1,
  );
  const mark = (ok: boolean) => (ok ? "PASS" : "FAIL");
  const lp = rows.find((r) => r.mode === "long-poll");
  const fp = rows.find((r) => r.mode === "flamenco-polling");
  const verdicts: string[] = [];
  if (lp) {
    verdicts.push(
      `${mark(lp.p50 < TARGET_P50_MS)}  commit → first task active p50 < ${TARGET_P50_MS} ms: ${fmt(lp.p50)} ms`,
    );
    verdicts.push(
      `${mark(lp.p99 < TARGET_P99_MS)}  commit → first task active p99 < ${TARGET_P99_MS} ms: ${fmt(lp.p99)} ms`,
    );
  }
  if (lp && fp) {
    verdicts.push(
      `      tasks/s: ${fmt(lp.rate, 0)} long-polling vs ${fmt(fp.rate, 0)} Flamenco-style (x${fmt(lp.rate / fp.rate)}); ` +
        `first active ${fmt(lp.p50)} vs ${fmt(fp.p50)} ms (p50)`,
    );
  }
  return { table, verdicts };
}

// ---- capacity: a child process holding many long-polls ----

async function capacityClient(url: string, clients: number): Promise<void> {
  const creds: string[] = [];
  let next = 0;
  const signOne = async (i: number) => {
    const secret = `bench-dispatch-capacity-${i}-${crypto.randomUUID()}`;
    const reg = await fetch(`${url}/api/v3/worker/register-worker`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: `idle-${i}`, secret, platform: "linux", supported_task_types: ["misc"] }),
    });
    if (!reg.ok) throw new Error(`register-worker: ${reg.status} ${await reg.text()}`);
    const { uuid } = (await reg.json()) as { uuid: string };
    const auth = `Basic ${btoa(`${uuid}:${secret}`)}`;
    const call = async (path: string, body: unknown) => {
      const res = await fetch(`${url}/api/v3/worker/${path}`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    };
    await call("sign-on", { name: `idle-${i}`, supported_task_types: ["misc"], software_version: "bench" });
    await call("state-changed", { status: "awake" });
    creds[i] = auth;
  };
  await Promise.all(
    Array.from({ length: CAPACITY_SIGN_ON_CONCURRENCY }, async () => {
      while (next < clients) await signOne(next++);
    }),
  );
  console.log("registered");
  // The parent measures the Manager idle with these workers first, then says when to poll.
  for await (const line of console) if (line.trim() === "go") break;
  let answered = 0;
  const hold = async (auth: string) => {
    for (;;) {
      const res = await fetch(`${url}/api/v3/worker/task?wait=${CAPACITY_WAIT_S}`, {
        method: "POST",
        headers: { Authorization: auth },
      });
      await res.arrayBuffer();
      answered++;
      if (res.status !== 204 || Number(res.headers.get(LONG_POLL_HEADER) ?? 0) === 0) {
        throw new Error(
          `a held poll was answered ${res.status} (${LONG_POLL_HEADER}: ${res.headers.get(LONG_POLL_HEADER)})`,
        );
      }
    }
  };
  for (const auth of creds)
    void hold(auth).catch((err: Error) => {
      console.error(err.message);
      process.exit(1);
    });
  await Bun.sleep(CAPACITY_SETTLE_MS);
  console.log(`polling ${answered}`);
  // Reports how many polls were answered (their bound passing) until the parent stops it.
  setInterval(() => console.log(`answered ${answered}`), 1_000);
}

async function capacity(root: string, clients: number, idleS: number): Promise<string[]> {
  const dir = join(root, "capacity");
  mkdirSync(dir, { recursive: true });
  const manager = await startManager(dir);
  const pid = manager.proc.pid;
  const child = Bun.spawn(
    [process.execPath, import.meta.path, "--capacity-client", manager.url, "--clients", String(clients)],
    {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
      env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(CAPACITY_CLIENT_MAX_HTTP_REQUESTS) },
    },
  );
  const lines: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    const reader = child.stdout.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value);
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  const saw = (prefix: string) => lines.some((l) => l.startsWith(prefix));
  try {
    await waitFor(`${clients} workers to register`, () => saw("registered"), CAPACITY_READY_TIMEOUT_MS);
    // The same Manager with the same workers, none polling: what the held polls are compared with.
    const baseCpu0 = readCpuSeconds(pid);
    await Bun.sleep(CAPACITY_BASELINE_MS);
    const baseCpuS = readCpuSeconds(pid) - baseCpu0;
    const idleRss = readRssBytes(pid);
    void child.stdin.write("go\n");
    await child.stdin.flush();
    await waitFor(`${clients} polls to be held`, () => saw("polling"), CAPACITY_READY_TIMEOUT_MS);
    const heldRss = readRssBytes(pid);
    const cpu0 = readCpuSeconds(pid);
    const load0 = loadavg()[0]!;
    await Bun.sleep(idleS * 1000);
    const cpu1 = readCpuSeconds(pid);
    const endRss = readRssBytes(pid);
    const answeredLine = lines.findLast((l) => l.startsWith("answered")) ?? "answered 0";
    const answered = Number(answeredLine.split(" ")[1]);
    const table = formatTable(
      [
        "held polls",
        "RSS idle MiB",
        "RSS held MiB",
        `RSS after ${idleS} s MiB`,
        "KiB per poll",
        `CPU s in ${idleS} s`,
        "CPU s, no poll held",
        "re-polls",
        "load avg",
      ],
      [
        [
          String(clients),
          fmt(mib(idleRss)),
          fmt(mib(heldRss)),
          fmt(mib(endRss)),
          fmt((Math.max(heldRss, endRss) - idleRss) / 1024 / clients),
          fmt(cpu1 - cpu0, 2),
          `${fmt((baseCpuS / CAPACITY_BASELINE_MS) * 1000 * idleS, 2)} per ${idleS} s`,
          String(answered),
          fmt(load0, 2),
        ],
      ],
    );
    return [
      table,
      `      ${clients} idle long-polls: ${fmt((Math.max(heldRss, endRss) - idleRss) / 1024 / clients)} KiB each; ` +
        `${fmt(((cpu1 - cpu0) / idleS) * 100, 2)} % of a core over ${idleS} s ` +
        `(${fmt((baseCpuS / CAPACITY_BASELINE_MS) * 100 * 1000, 2)} % with no poll held), in which each poll was answered ` +
        `(its bound passed) and sent again about ${fmt(idleS / CAPACITY_WAIT_S, 1)} time(s)`,
    ];
  } finally {
    child.kill();
    await child.exited;
    await manager.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      workers: { type: "string" },
      rounds: { type: "string" },
      "polling-rounds": { type: "string" },
      clients: { type: "string" },
      "idle-s": { type: "string" },
      "no-capacity": { type: "boolean" },
      "capacity-only": { type: "boolean" },
      "capacity-client": { type: "string" },
    },
  });
  const int = (text: string | undefined, fallback: number, flag: string) => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} takes a whole number, not "${text}"`);
    return n;
  };
  const clients = int(values.clients, DEFAULT_CLIENTS, "clients");
  if (values["capacity-client"]) return capacityClient(values["capacity-client"], clients);

  const workerCount = int(values.workers, DEFAULT_WORKERS, "workers");
  const rounds = int(values.rounds, DEFAULT_ROUNDS, "rounds");
  const pollingRounds = int(values["polling-rounds"], DEFAULT_POLLING_ROUNDS, "polling-rounds");
  const idleS = int(values["idle-s"], DEFAULT_IDLE_S, "idle-s");
  const root = mkdtempSync(join(tmpdir(), "tablao-bench-dispatch-"));
  const out: string[] = [];
  try {
    console.log(
      `bench:dispatch — ${workerCount} worker processes, jobs of ${TASKS_PER_JOB} zero-length tasks; ` +
        `${rounds} long-poll rounds, ${pollingRounds} Flamenco-style rounds (cut after ${POLLING_WINDOW_MS / 1000} s); ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}`,
    );
    if (!values["capacity-only"]) {
      const dir = join(root, "manager");
      mkdirSync(join(dir, "scripts"), { recursive: true });
      writeFileSync(join(dir, "scripts", `${JOB_TYPE.replaceAll("-", "_")}.js`), SCRIPT);
      const broker = await startMosquitto();
      const manager = await startManager(dir, {
        mqtt: {
          client: {
            enabled: true,
            broker: broker.url,
            clientID: "tablao-bench",
            topic_prefix: MQTT_TOPIC_PREFIX,
          },
        },
      });
      const feed = await JobEvents.connect(broker.url);
      const all: Round[] = [];
      try {
        for (const [mode, count] of [
          ["long-poll", rounds],
          ["flamenco-polling", pollingRounds],
        ] as const) {
          if (count === 0) continue;
          const workers = await startWorkers(manager, workerCount, mode, root);
          try {
            all.push(...(await runRounds(manager, feed.events, mode, count)));
          } finally {
            await Promise.all(workers.map((w) => w.stop()));
          }
        }
      } finally {
        await feed.close();
        await manager.stop();
        await broker.dispose();
      }
      const { table, verdicts } = summary(all);
      out.push(table, "", ...verdicts);
    }
    if (!values["no-capacity"]) {
      console.log(`capacity: ${clients} idle long-polling clients for ${idleS} s…`);
      out.push("", ...(await capacity(root, clients, idleS)));
    }
    console.log(`\n${out.join("\n")}`);
  } finally {
    await killChildren();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
