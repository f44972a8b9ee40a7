// Scenario kill-9: a real Manager is killed with SIGKILL at random moments while streaming
// workers send task updates full of numbered log lines, and started again on the same folder
// each time. Whatever the Manager acknowledged (a 2xx answer) before a kill must be there
// afterwards: every acknowledged update's status and log lines. No task may run twice, and the
// database must pass `PRAGMA integrity_check` after every kill and at the end.
import createClient, { type Client } from "openapi-fetch";
import { quantile } from "../bench/report";
import type { paths } from "../src/worker/client/schema";
import { integrityCheck } from "./integrity";
import { createManagerProcess, scenarioFolder } from "./manager-process";
import { forEachLimit } from "./pool";
import { createPrng } from "./prng";
import { type Check, type ScenarioResult, check, conclude, fmt } from "./report";
import { type StreamWorkerRecords, runStreamWorker } from "./stream-worker";

export interface Kill9Options {
  kills: number;
  workers: number;
  tasksPerJob: number;
  updatesPerTask: number;
  linesPerUpdate: number;
  /** The Manager runs a random time in [minUpMs, maxUpMs] before each kill (and after the last restart). */
  minUpMs: number;
  maxUpMs: number;
  seed: number;
  /** Keep the temp folder even when every check passed. */
  keep: boolean;
}

export const KILL9_DEFAULTS: Omit<Kill9Options, "seed" | "keep"> = {
  kills: 10,
  workers: 3,
  tasksPerJob: 50,
  updatesPerTask: 5,
  linesPerUpdate: 20,
  minUpMs: 300,
  maxUpMs: 2_500,
};

/** After the last restart the workers finish their current task within this time, or are abandoned. */
const WORKERS_FINISH_TIMEOUT_MS = 60_000;
/** A new job is submitted at most this often when workers find nothing to do. */
const JOB_SUBMIT_INTERVAL_MS = 500;
const VERIFY_CONCURRENCY = 8;
const FINDINGS_SHOWN = 5;

export async function runKill9(opts: Kill9Options): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const folder = scenarioFolder("kill9");
  const manager = createManagerProcess(folder.root);
  const prng = createPrng(opts.seed);
  const api = createClient<paths>({ baseUrl: manager.url });
  const findings: string[] = [];
  const result = (figures: [string, string][], checks: Check[]) =>
    conclude("kill-9", folder, opts.keep, { figures, checks, findings });

  const first = await manager.start();
  if (!first.ok) {
    findings.push(`the Manager did not start: ${first.reason}`);
    return result([], [check("Manager starts", false, first.reason)]);
  }

  // Work: echo-sleep-test jobs (one echo task, then tasksPerJob-1 tasks that wait for it); a new
  // one whenever a worker finds the queue empty, so the workers are busy at every kill.
  const jobs: string[] = [];
  let lastSubmitAt = Number.NEGATIVE_INFINITY;
  const submitJob = async () => {
    lastSubmitAt = performance.now();
    const r = await api
      .POST("/api/v3/jobs", {
        body: {
          name: `kill-9 ${jobs.length + 1}`,
          type: "echo-sleep-test",
          priority: 50,
          submitter_platform: "linux",
          settings: { message: "kill-9", sleep_duration_seconds: 1, sleep_repeats: opts.tasksPerJob - 1 },
        },
      })
      .catch(() => null);
    if (r?.data) jobs.push(r.data.id);
  };
  const onIdle = () => {
    if (performance.now() - lastSubmitAt >= JOB_SUBMIT_INTERVAL_MS) void submitJob();
  };
  await submitJob();

  const stop = new AbortController();
  const abandon = new AbortController();
  const workers = Array.from({ length: opts.workers }, (_, i) =>
    runStreamWorker({
      name: `w${i + 1}`,
      managerUrl: manager.url,
      updatesPerTask: opts.updatesPerTask,
      linesPerUpdate: opts.linesPerUpdate,
      onIdle,
      stop: stop.signal,
      abandon: abandon.signal,
    }),
  );

  const killTimes: number[] = [];
  const restartMs: number[] = [];
  const integrityAfterKill: string[] = [];
  let restartFailure: string | null = null;
  for (let k = 1; k <= opts.kills; k++) {
    // The random moment: the Manager runs this long under load, then dies mid-whatever.
    await Bun.sleep(prng.between(opts.minUpMs, opts.maxUpMs));
    killTimes.push(performance.now());
    await manager.kill9();
    integrityAfterKill.push(integrityCheck(manager.databasePath));
    const restarted = await manager.start();
    if (!restarted.ok) {
      restartFailure = `restart after kill ${k} failed: ${restarted.reason}`;
      findings.push(restartFailure);
      break;
    }
    restartMs.push(restarted.ms);
  }
  if (restartFailure === null) await Bun.sleep(prng.between(opts.minUpMs, opts.maxUpMs));

  // The workers finish their current task (delivering every update) and stop.
  stop.abort();
  if (restartFailure !== null) abandon.abort();
  const finishTimer = setTimeout(() => abandon.abort(), WORKERS_FINISH_TIMEOUT_MS);
  const records: StreamWorkerRecords[] = await Promise.all(workers);
  clearTimeout(finishTimer);
  if (abandon.signal.aborted && restartFailure === null) {
    findings.push(`workers could not deliver their last updates within ${WORKERS_FINISH_TIMEOUT_MS} ms`);
  }

  const audit = restartFailure === null ? await auditManager(api, jobs, records) : null;
  const exit = await manager.stop();
  const finalIntegrity = integrityCheck(manager.databasePath);

  const acked = records.flatMap((r) => r.acked.map((u) => ({ ...u, worker: r.name })));
  const ackedLines = acked.reduce((sum, u) => sum + u.lines.length, 0);
  let lostLines = 0;
  let lostUpdates = 0;
  for (const u of audit ? acked : []) {
    const log = audit?.logs.get(u.task);
    const missing = u.lines.filter((line) => !log?.has(line)).length;
    const status = audit?.statuses.get(u.task);
    const statusLost = u.status !== undefined && status !== u.status;
    if (missing === 0 && !statusLost) continue;
    lostLines += missing;
    if (++lostUpdates > FINDINGS_SHOWN) continue;
    const what = [
      missing > 0 ? `${missing} of its ${u.lines.length} log lines are missing (first: "${u.lines[0]}")` : "",
      statusLost ? `the task is "${status ?? "unknown"}", not "${u.status}"` : "",
    ].filter(Boolean);
    findings.push(
      `update ${u.seq} of task ${u.task} by ${u.worker}, acknowledged ${amongKills(u.ackedAt, killTimes)}: ${what.join("; ")}`,
    );
  }

  const refusals = records.flatMap((r) => r.refused.map((x) => ({ ...x, worker: r.name })));
  for (const x of refusals.slice(0, FINDINGS_SHOWN)) {
    findings.push(
      `update ${x.seq} of task ${x.task} by ${x.worker} refused with ${x.status} ${x.message} ` +
        `(${amongKills(x.at, killTimes)})`,
    );
  }

  const twice = tasksRunTwice(records);
  for (const t of twice.slice(0, FINDINGS_SHOWN)) findings.push(`task ${t.task} ran twice: ${t.how}`);
  const reRegistrations = records.reduce((s, r) => s + r.reRegistrations, 0);
  const unexpected = new Map<string, number>();
  for (const r of records) {
    for (const [key, { count, example }] of r.unexpected) {
      if (!unexpected.has(key)) findings.push(`${r.name} got ${key}, e.g. ${example}`);
      unexpected.set(key, (unexpected.get(key) ?? 0) + count);
    }
  }
  const completions = acked.filter((u) => u.status === "completed").length;
  const badIntegrity = integrityAfterKill.filter((r) => r !== "ok");
  if (badIntegrity[0]) findings.push(`integrity_check after a kill: ${badIntegrity[0]}`);
  if (finalIntegrity !== "ok") findings.push(`integrity_check at the end: ${finalIntegrity}`);

  const figures: [string, string][] = [
    ["kills", `${killTimes.length} of ${opts.kills}`],
    ["restarts", `${restartMs.length} ok${restartFailure ? ", 1 failed" : ""}`],
    ["restart time p50 / max", `${fmt.ms(quantile(restartMs, 0.5))} / ${fmt.ms(Math.max(...restartMs))}`],
    ["workers / jobs submitted", `${opts.workers} / ${jobs.length}`],
    [
      "tasks assigned / completed",
      `${records.reduce((s, r) => s + r.assignments.length, 0)} / ${completions}`,
    ],
    ["updates acknowledged", fmt.n(acked.length)],
    ["log lines acknowledged", fmt.n(ackedLines)],
    ["requests without an answer", fmt.n(records.reduce((s, r) => s + r.transportErrors, 0))],
    ["updates sent again", fmt.n(records.reduce((s, r) => s + r.resent, 0))],
    ["updates refused (400/404/409)", fmt.n(refusals.length)],
    ["other answers", [...unexpected].map(([k, v]) => `${k}: ${v}`).join(", ") || "none"],
    ["lost updates", audit ? fmt.n(lostUpdates) : "not audited"],
    ["lost lines", audit ? fmt.n(lostLines) : "not audited"],
    ["tasks run twice", fmt.n(twice.length)],
    ["workers forgotten (re-registered)", fmt.n(reRegistrations)],
    [
      "integrity after kills",
      `${integrityAfterKill.length - badIntegrity.length} of ${integrityAfterKill.length} ok`,
    ],
    ["integrity at the end", finalIntegrity],
    ["duration", `${((performance.now() - startedAt) / 1000).toFixed(1)} s`],
  ];
  const checks = [
    check(
      "Manager restarts after every kill -9",
      restartFailure === null && restartMs.length === opts.kills,
      restartFailure ?? `${restartMs.length} restarts`,
    ),
    check("workers got work done", completions > 0, `${completions} tasks completed`),
    check(
      "workers delivered every update",
      !abandon.signal.aborted,
      abandon.signal.aborted ? "abandoned with updates unanswered" : "all answered",
    ),
    check(
      "no acknowledged update lost",
      audit !== null && lostUpdates === 0,
      audit ? `${lostUpdates} of ${acked.length} lost` : "not audited: the Manager is not running",
    ),
    check(
      "no acknowledged log line lost",
      audit !== null && lostLines === 0,
      audit ? `${lostLines} of ${ackedLines} lost` : "not audited: the Manager is not running",
    ),
    check("no task ran twice", twice.length === 0, `${twice.length} tasks`),
    check("no acknowledged worker forgotten", reRegistrations === 0, `${reRegistrations} re-registrations`),
    check(
      "integrity_check ok after every kill",
      badIntegrity.length === 0,
      `${integrityAfterKill.length - badIntegrity.length} of ${integrityAfterKill.length}`,
    ),
    check("integrity_check ok at the end", finalIntegrity === "ok", finalIntegrity),
    check("Manager stops cleanly at the end", exit === 0, `exit ${exit}`),
  ];
  if (exit !== 0) findings.push(`final stop exited ${exit}: ${manager.logTail(5)}`);
  return result(figures, checks);
}

/** Where a moment falls among the kills: "40 ms after kill 2, 12 ms before kill 3". */
function amongKills(at: number, killTimes: readonly number[]): string {
  const next = killTimes.findIndex((t) => t >= at);
  const prev = (next === -1 ? killTimes.length : next) - 1;
  const parts = [
    prev >= 0
      ? `${(at - (killTimes[prev] ?? 0)).toFixed(0)} ms after kill ${prev + 1}`
      : "before the first kill",
    next >= 0
      ? `${((killTimes[next] ?? 0) - at).toFixed(0)} ms before kill ${next + 1}`
      : "after the last kill",
  ];
  return parts.join(", ");
}

/**
 * Tasks that ran twice, from the workers' own records: completed (acknowledged) more than once,
 * or handed out again after a completion was acknowledged.
 */
function tasksRunTwice(records: readonly StreamWorkerRecords[]): { task: string; how: string }[] {
  const completedAt = new Map<string, { worker: string; at: number }[]>();
  for (const r of records) {
    for (const u of r.acked) {
      if (u.status !== "completed") continue;
      const list = completedAt.get(u.task) ?? [];
      list.push({ worker: r.name, at: u.ackedAt });
      completedAt.set(u.task, list);
    }
  }
  const twice = new Map<string, string>();
  for (const [task, list] of completedAt) {
    if (list.length > 1) twice.set(task, `completed by ${list.map((c) => c.worker).join(" and ")}`);
  }
  for (const r of records) {
    for (const a of r.assignments) {
      const done = completedAt.get(a.task)?.[0];
      if (done && a.requestedAt > done.at && !twice.has(a.task)) {
        twice.set(a.task, `completed by ${done.worker}, then assigned to ${r.name}`);
      }
    }
  }
  return [...twice].map(([task, how]) => ({ task, how }));
}

interface Audit {
  statuses: Map<string, string>;
  /** Task id → the set of lines in its log. */
  logs: Map<string, Set<string>>;
}

/** What the Manager has now: every job's task statuses and the logs of the tasks workers wrote to. */
async function auditManager(
  api: Client<paths>,
  jobs: readonly string[],
  records: readonly StreamWorkerRecords[],
): Promise<Audit> {
  const statuses = new Map<string, string>();
  await forEachLimit(jobs, VERIFY_CONCURRENCY, async (jobId) => {
    const r = await api.GET("/api/v3/jobs/{job_id}/tasks", { params: { path: { job_id: jobId } } });
    for (const t of r.data?.tasks ?? []) statuses.set(t.id, t.status);
  });
  const tasks = [...new Set(records.flatMap((r) => r.acked.map((u) => u.task)))];
  const logs = new Map<string, Set<string>>();
  await forEachLimit(tasks, VERIFY_CONCURRENCY, async (taskId) => {
    const info = await api.GET("/api/v3/tasks/{task_id}/log", { params: { path: { task_id: taskId } } });
    const url = info.data?.url;
    const text = url ? await fetch(new URL(url, info.response.url)).then((res) => res.text()) : "";
    logs.set(taskId, new Set(text.split("\n")));
  });
  return { statuses, logs };
}
