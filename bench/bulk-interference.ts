// Bulk-interference benchmark: 50 fake workers (the `bun run stress` load in `cycle` mode, in this
// process) get tasks, update and complete them, while bulk work runs beside them: a 1,000-task
// job submitted every second, mass cancel and requeue of 10,000-task jobs one after the other, and
// the deletion of each submitted job a few seconds later (the job deleter then removes its tasks).
// The same load without bulk work, on a Manager of its own in the same run, is the baseline.
// Prints the worker API's latency in both phases, what the bulk work got done, the longest single
// write transaction of each phase, and a verdict per target.
//
// The longest write is measured inside the Manager: every transaction is timed from its BEGIN to
// its COMMIT (src/manager/db/transaction.ts) and the Manager logs the longest at shutdown, which
// this bench reads from its log.
// Run: `bun bench/bulk-interference.ts` (about two minutes); `--duration 10` shortens each phase.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createStressClient, runStress, type StressReport } from "../src/worker/stress";
import type { ManagerProcess } from "../test/support/processes";
import { formatTable, quantile } from "./report";
import { startQueuedManager } from "./tablao-queue";

const WORKERS = 50;
const UPDATES_PER_TASK = 3;
/** The queue the workers draw from, in jobs of BIG_JOB_TASKS: also what the mass changes act on. */
const BIG_JOBS = 5;
const BIG_JOB_TASKS = 10_000;
const SUBMITTED_JOB_TASKS = 1_000;
const SUBMIT_INTERVAL_MS = 1_000;
const DELETE_INTERVAL_MS = 2_000;
/** Submitted jobs are deleted once they are this old. */
const DELETE_AGE_MS = 3_000;
const STATUS_POLL_INTERVAL_MS = 50;
const STATUS_WAIT_TIMEOUT_MS = 30_000;
const WARMUP_MS = 1_000;
const DEFAULT_PHASE_S = 20;

const TARGET_P99_MS = 100;
const TARGET_MAX_MS = 250;

type Client = ReturnType<typeof createStressClient>;

interface BulkTally {
  submitted: number;
  submitMs: number[];
  massChanges: number;
  /** From the status request to the job reaching the status it ends in. */
  massChangeMs: number[];
  deletions: number;
  errors: string[];
}

interface PhaseResult {
  name: string;
  report: StressReport;
  bulk: BulkTally | null;
  writes: { longestMs: number; longestSharedMs: number; line: string };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

async function jobStatus(client: Client, jobId: string): Promise<string> {
  const got = await client.GET("/api/v3/jobs/{job_id}", { params: { path: { job_id: jobId } } });
  if (!got.data) throw new Error(`reading job ${jobId}: HTTP ${got.response.status}`);
  return got.data.status;
}

/** Requests `status` for the job and waits until it reaches one of `ends`; returns the time taken. */
async function massChange(
  client: Client,
  jobId: string,
  status: "cancel-requested" | "requeueing",
  ends: string[],
) {
  const start = performance.now();
  const set = await client.POST("/api/v3/jobs/{job_id}/setstatus", {
    params: { path: { job_id: jobId } },
    body: { status, reason: "bulk-interference bench" },
  });
  if (set.response.status !== 204) throw new Error(`${status} of job ${jobId}: HTTP ${set.response.status}`);
  const deadline = start + STATUS_WAIT_TIMEOUT_MS;
  for (
    let seen = await jobStatus(client, jobId);
    !ends.includes(seen);
    seen = await jobStatus(client, jobId)
  ) {
    if (performance.now() > deadline)
      throw new Error(`job ${jobId} did not reach ${ends.join("/")} in time (still ${seen})`);
    await Bun.sleep(STATUS_POLL_INTERVAL_MS);
  }
  return performance.now() - start;
}

/** Runs the bulk work until `signal` aborts. */
async function runBulkWork(url: string, signal: AbortSignal): Promise<BulkTally> {
  const client = createStressClient(url);
  const tally: BulkTally = {
    submitted: 0,
    submitMs: [],
    massChanges: 0,
    massChangeMs: [],
    deletions: 0,
    errors: [],
  };
  const guard = (what: string) => (err: unknown) =>
    void tally.errors.push(`${what}: ${(err as Error).message}`);
  const listed = await client.GET("/api/v3/jobs");
  const bigJobs = (listed.data?.jobs ?? []).map((j) => j.id);
  const submittedJobs: { id: string; at: number }[] = [];

  const submitting = (async () => {
    while (!signal.aborted) {
      const start = performance.now();
      const submitted = await client.POST("/api/v3/jobs", {
        body: {
          name: `bulk ${tally.submitted + 1}`,
          type: "echo-sleep-test",
          // Below the queue's 50: the workers keep to the big jobs, the submitted ones wait.
          priority: 40,
          submitter_platform: "linux",
          settings: { message: "bulk", sleep_duration_seconds: 1, sleep_repeats: SUBMITTED_JOB_TASKS - 1 },
        },
      });
      if (!submitted.data) throw new Error(`submission refused: HTTP ${submitted.response.status}`);
      tally.submitted++;
      submittedJobs.push({ id: submitted.data.id, at: performance.now() });
      tally.submitMs.push(performance.now() - start);
      await sleep(Math.max(0, SUBMIT_INTERVAL_MS - (performance.now() - start)), signal);
    }
  })().catch(guard("submitting"));

  const changing = (async () => {
    for (let i = 0; !signal.aborted; i++) {
      const jobId = bigJobs[i % bigJobs.length];
      if (jobId === undefined) throw new Error("no job to change");
      tally.massChangeMs.push(await massChange(client, jobId, "cancel-requested", ["canceled"]));
      tally.massChangeMs.push(
        await massChange(client, jobId, "requeueing", ["queued", "active", "completed"]),
      );
      tally.massChanges += 2;
    }
  })().catch(guard("mass status changes"));

  // Each submitted job (nobody works on them) is deleted a few seconds after its submission,
  // and the job deleter removes its tasks; the big jobs stay.
  const deleting = (async () => {
    for (;;) {
      await sleep(DELETE_INTERVAL_MS, signal);
      if (signal.aborted) return;
      const due = submittedJobs.filter((j) => j.at < performance.now() - DELETE_AGE_MS);
      for (const job of due) {
        const deleted = await client.DELETE("/api/v3/jobs/{job_id}", {
          params: { path: { job_id: job.id } },
        });
        if (deleted.response.status !== 204)
          throw new Error(`deleting job ${job.id}: HTTP ${deleted.response.status}`);
        submittedJobs.splice(submittedJobs.indexOf(job), 1);
        tally.deletions++;
      }
    }
  })().catch(guard("deletion"));

  await Promise.all([submitting, changing, deleting]);
  return tally;
}

/** The longest writes the Manager logged at shutdown (describeWriteStats). */
function longestWrites(manager: ManagerProcess): PhaseResult["writes"] {
  const line = /the longest held the database for ([\d.]+) ms; .* the longest held it for ([\d.]+) ms/.exec(
    manager.log(),
  );
  if (!line) throw new Error(`the Manager logged no write timings; its log ends:\n${manager.log()}`);
  return {
    longestMs: Number(line[1]),
    longestSharedMs: Number(line[2]),
    line: line.input.slice(line.index).split("\n")[0] ?? "",
  };
}

async function runPhase(
  root: string,
  name: string,
  withBulk: boolean,
  phaseMs: number,
): Promise<PhaseResult> {
  const dir = mkdtempSync(join(root, `${name}-`));
  const setupStart = performance.now();
  const { manager } = await startQueuedManager(dir, BIG_JOBS * BIG_JOB_TASKS, BIG_JOBS);
  console.log(`  ${name}: set up in ${((performance.now() - setupStart) / 1000).toFixed(1)}s`);
  let bulk: Promise<BulkTally> | null = null;
  const stopBulk = new AbortController();
  try {
    const report = await runStress({
      managerURL: manager.url,
      workers: WORKERS,
      mode: "cycle",
      updatesPerTask: UPDATES_PER_TASK,
      warmupMs: WARMUP_MS,
      durationMs: phaseMs,
      credentialsPath: null,
      onMeasuring: () => {
        if (withBulk) bulk = runBulkWork(manager.url, stopBulk.signal);
      },
    });
    stopBulk.abort();
    const tally = await (bulk as Promise<BulkTally> | null);
    await manager.stop();
    // What the Manager said about bulk work that went wrong is the first thing to read.
    if (tally?.errors.length) {
      const troubles = manager
        .log()
        .split("\n")
        .filter((l) => / (WARN|ERROR) |bulk task change/.test(l));
      console.log(`Manager warnings and errors:\n${troubles.join("\n") || "(none)"}`);
    }
    return { name, report, bulk: tally, writes: longestWrites(manager) };
  } finally {
    stopBulk.abort();
    await manager.stop();
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

function report(phases: PhaseResult[]): void {
  const header = [
    "phase",
    "assign/s",
    "updates/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "failed",
    "longest write ms",
    "longest group commit ms",
  ];
  const rows = phases.map((p) => [
    p.name,
    fmt(p.report.assignmentsPerS),
    fmt(p.report.taskUpdatesPerS),
    fmt(p.report.latency.all.p50Ms, 1),
    fmt(p.report.latency.all.p99Ms, 1),
    fmt(p.report.latency.all.maxMs, 1),
    String(p.report.failed),
    fmt(p.writes.longestMs, 1),
    fmt(p.writes.longestSharedMs, 1),
  ]);
  console.log(
    `\nWorker API latency (all worker requests), ${WORKERS} workers:\n${formatTable(header, rows, 1)}`,
  );

  for (const p of phases) console.log(`${p.name}: ${p.writes.line}`);

  const loaded = phases.find((p) => p.bulk);
  const bulk = loaded?.bulk;
  if (!loaded || !bulk) return;
  console.log(
    `\nBulk work during the measured ${fmt(loaded.report.windowS, 1)}s: ${bulk.submitted} jobs of ${SUBMITTED_JOB_TASKS} tasks submitted ` +
      `(answered in p50 ${fmt(quantile(bulk.submitMs, 0.5))} ms, max ${fmt(Math.max(...bulk.submitMs))} ms); ` +
      `${bulk.massChanges} mass status changes of ${BIG_JOB_TASKS}-task jobs (request to final status p50 ${fmt(quantile(bulk.massChangeMs, 0.5))} ms, ` +
      `max ${fmt(Math.max(...bulk.massChangeMs))} ms); ${bulk.deletions} submitted jobs deleted.`,
  );
  for (const e of bulk.errors) console.log(`bulk work error: ${e}`);
  const lat = loaded.report.latency.all;
  const mark = (ok: boolean) => (ok ? "PASS" : "FAIL");
  console.log(
    `${mark(lat.p99Ms < TARGET_P99_MS)}  worker API p99 < ${TARGET_P99_MS} ms during bulk work: ${fmt(lat.p99Ms, 1)} ms`,
  );
  console.log(
    `${mark(lat.maxMs < TARGET_MAX_MS)}  worker API max < ${TARGET_MAX_MS} ms during bulk work: ${fmt(lat.maxMs, 1)} ms`,
  );
  console.log(`${mark(bulk.errors.length === 0 && bulk.submitted > 0)}  the bulk work ran without errors`);
}

async function main() {
  const { values } = parseArgs({ args: Bun.argv.slice(2), options: { duration: { type: "string" } } });
  const phaseS = Number(values.duration ?? DEFAULT_PHASE_S);
  if (!Number.isFinite(phaseS) || phaseS <= 0)
    throw new Error(`--duration takes seconds, not "${values.duration}"`);
  console.log(
    `Bulk-interference benchmark: ${WORKERS} fake workers loop scheduleTask → ${UPDATES_PER_TASK} task updates → completed,\n` +
      `on a queue of ${BIG_JOBS} jobs of ${BIG_JOB_TASKS} tasks; ${phaseS}s measured per phase after ${WARMUP_MS / 1000}s warm-up.\n` +
      `Bulk work: a ${SUBMITTED_JOB_TASKS}-task job submitted every ${SUBMIT_INTERVAL_MS / 1000}s, the big jobs cancelled and requeued one after\n` +
      `the other, and each submitted job deleted ${DELETE_AGE_MS / 1000}s to ${(DELETE_AGE_MS + DELETE_INTERVAL_MS) / 1000}s after its submission.`,
  );
  const root = mkdtempSync(join(tmpdir(), "tablao-bulk-bench-"));
  try {
    const phases = [
      await runPhase(root, "no bulk work", false, phaseS * 1000),
      await runPhase(root, "bulk work", true, phaseS * 1000),
    ];
    report(phases);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main().catch((err) => {
  console.error(`bulk-interference bench: ${(err as Error).message}`);
  process.exit(1);
});
