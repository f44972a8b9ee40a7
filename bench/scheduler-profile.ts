// Where the Manager's CPU goes under the scheduler bench's load: a Manager with a queue
// (bench/tablao-queue.ts) runs under Bun's CPU profiler while fake workers cycle through tasks
// (`bun run stress` in cycle mode, in this process); then the profile of its main thread is
// summed up by layer (SQLite, the HTTP framework, validation, the ORM's row mapping, Tablao's own
// code, the rest of the runtime), SQLite's share by the Tablao function that ran the statement,
// and the CPU of each of the Manager's threads is read from /proc over the same window.
// Run: `bun bench/scheduler-profile.ts` (about half a minute); `--workers 200 --queued 1000000`.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runStress } from "../src/worker/stress";
import { readThreadCpuSeconds } from "./proc-stats";
import { formatTable } from "./report";
import { startQueuedManager } from "./tablao-queue";

const DEFAULT_WORKERS = 50;
const DEFAULT_QUEUED = 100_000;
const JOBS_PER_QUEUE = 10;
const UPDATES_PER_TASK = 3;
const WARMUP_MS = 1_000;
const MEASURE_MS = 10_000;
/** Rows of the "which Tablao function ran the statement" table. */
const TOP_SQL_CALLERS = 8;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Frames Bun reports for bun:sqlite's native statement calls. */
const SQLITE_NATIVE = new Set(["get", "all", "values", "run"]);
/** Frames of start-up and shutdown, left out: the load is what is profiled. */
const OUTSIDE_LOAD = [/src\/manager\/main\.ts$/, /src\/manager\/cli\//];

function layerOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (url === "" && SQLITE_NATIVE.has(functionName)) return "SQLite (statements, triggers, commits)";
  if (url.includes("/node_modules/hono/")) return "HTTP framework (Hono: routing, middleware, context)";
  if (/\/node_modules\/(zod|@hono\/zod-)/.test(url)) return "request validation (zod)";
  if (url.includes("/node_modules/drizzle-orm/")) return "ORM (Drizzle: building, row mapping)";
  if (url.includes("/src/")) return "Tablao's own code";
  if (url === "") return "runtime native (HTTP server, GC, messages to threads, hashing)";
  return "other libraries and runtime JS";
}

const relative = (url: string) => url.replace(/.*\/src\//, "src/");

function summarize(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const layers = new Map<string, number>();
  const sqlCallers = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id);
    if (!leaf) return;
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const node = byId.get(at);
      if (node) stack.push(node);
    }
    // A lone native frame under the root is the thread waiting for work.
    if (stack.length <= 2 && leaf.callFrame.url === "") return;
    if (stack.some((n) => OUTSIDE_LOAD.some((re) => re.test(n.callFrame.url)))) return;
    busy += us;
    const layer = layerOf(leaf.callFrame);
    layers.set(layer, (layers.get(layer) ?? 0) + us);
    if (layer.startsWith("SQLite")) {
      const caller = stack.find(
        (n) => n.callFrame.url.includes("/src/") && !n.callFrame.url.includes("/db/open.ts"),
      );
      // transaction.ts only runs BEGIN, COMMIT and the savepoints around each change.
      const name = !caller
        ? "-"
        : caller.callFrame.url.endsWith("/db/transaction.ts")
          ? "BEGIN, COMMIT and savepoints (src/manager/db/transaction.ts)"
          : `${caller.callFrame.functionName || "(anonymous)"} (${relative(caller.callFrame.url)})`;
      sqlCallers.set(name, (sqlCallers.get(name) ?? 0) + us);
    }
  });
  return { busy, layers, sqlCallers };
}

async function main() {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { workers: { type: "string" }, queued: { type: "string" } },
  });
  const workers = Number(values.workers ?? DEFAULT_WORKERS);
  const queued = Number(values.queued ?? DEFAULT_QUEUED);
  if (!Number.isInteger(workers) || workers < 1 || !Number.isInteger(queued) || queued % JOBS_PER_QUEUE) {
    throw new Error(`--workers takes a positive integer, --queued a multiple of ${JOBS_PER_QUEUE}`);
  }
  console.log(
    `Scheduler profile: ${workers} fake workers against a Manager with ${queued} queued tasks under Bun's ` +
      `CPU profiler, ${WARMUP_MS / 1000} s warm-up and ${MEASURE_MS / 1000} s measured.`,
  );
  const dir = mkdtempSync(join(tmpdir(), "tablao-profile-"));
  try {
    const profileDir = join(dir, "profile");
    const { manager } = await startQueuedManager(dir, queued, JOBS_PER_QUEUE, [
      "--cpu-prof",
      "--cpu-prof-dir",
      profileDir,
    ]);
    let before = new Map<string, { name: string; cpuSeconds: number }>();
    let startedAt = 0;
    const report = await runStress({
      managerURL: manager.url,
      workers,
      mode: "cycle",
      updatesPerTask: UPDATES_PER_TASK,
      warmupMs: WARMUP_MS,
      durationMs: MEASURE_MS,
      maxAssignments: queued / 2,
      credentialsPath: null,
      onMeasuring: () => {
        before = readThreadCpuSeconds(manager.proc.pid);
        startedAt = performance.now();
      },
    });
    const after = readThreadCpuSeconds(manager.proc.pid);
    const wallS = (performance.now() - startedAt) / 1000;
    await manager.stop();
    const [file] = readdirSync(profileDir);
    if (!file) throw new Error(`the Manager wrote no CPU profile; its log ends:\n${manager.log()}`);
    const profile = JSON.parse(readFileSync(join(profileDir, file), "utf8")) as CpuProfile;
    const { busy, layers, sqlCallers } = summarize(profile);

    const tasks = report.assignmentsPerS * report.windowS;
    console.log(
      `\nProfiled: ${workers} fake workers, ${queued} queued, ${report.assignmentsPerS.toFixed(0)} tasks/s ` +
        `(assigned, ${UPDATES_PER_TASK} updates, completed), p50 ${report.latency.all.p50Ms} ms, p99 ${report.latency.all.p99Ms} ms.\n`,
    );
    const threadRows = [...after]
      .map(([tid, t]) => ({ tid, name: t.name, cpuS: t.cpuSeconds - (before.get(tid)?.cpuSeconds ?? 0) }))
      .filter((t) => t.cpuS > 0)
      .sort((a, b) => b.cpuS - a.cpuS)
      .map(({ tid, name, cpuS }) => [
        name,
        tid,
        `${((cpuS / wallS) * 100).toFixed(0)}%`,
        ((cpuS * 1e6) / tasks).toFixed(0),
      ]);
    console.log(
      `The Manager's threads over the ${wallS.toFixed(1)} s measured (the main one answers every request):\n` +
        formatTable(["thread", "id", "cpu", "µs/task"], threadRows, 2),
    );
    const share = (us: number) => `${((us / busy) * 100).toFixed(1)}%`;
    // The profile's shares applied to the main thread's CPU per task as /proc measured it.
    const mainTid = String(manager.proc.pid);
    const mainCpuS = (after.get(mainTid)?.cpuSeconds ?? 0) - (before.get(mainTid)?.cpuSeconds ?? 0);
    const mainUsPerTask = (mainCpuS * 1e6) / tasks;
    const layerRows = [...layers]
      .sort((a, b) => b[1] - a[1])
      .map(([layer, us]) => [layer, share(us), ((us / busy) * mainUsPerTask).toFixed(0)]);
    console.log(
      `\nThe main thread's busy time by layer (CPU profile, start-up and shutdown left out):\n` +
        formatTable(["layer", "share", "µs/task"], layerRows, 1),
    );
    const callerRows = [...sqlCallers]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_SQL_CALLERS)
      .map(([caller, us]) => [caller, share(us)]);
    console.log(
      `\nSQLite's share by the Tablao function that ran the statement:\n${formatTable(["caller", "share"], callerRows, 1)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((err) => {
  console.error(`scheduler profile: ${(err as Error).message}`);
  process.exit(1);
});
