// bench/submit: compiles and stores a 10,000-task echo-sleep-test job through the real job
// service (node:vm worker thread, Drizzle, one transaction, prepared inserts) and compares it
// with a raw bun:sqlite bulk insert of 10,000 task rows in one transaction, in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/shared/clock";
import { loadConfig } from "../src/manager/config";
import { openDatabase } from "../src/manager/db/open";
import { createEventBroker } from "../src/manager/events/broker";
import { createJobTypeRegistry } from "../src/manager/jobs/job-types";
import { createJobService } from "../src/manager/jobs/service";
import { median } from "./report";

const TASKS = 10_000;
const ROUNDS = 5;
const TARGET_MS = 1_000;
const TARGET_RATIO = 5;

const dir = mkdtempSync(join(tmpdir(), "tablao-bench-submit-"));

/**
 * The baseline: the same 10,000 task rows into the same, freshly migrated tasks table (same
 * indexes), with one bun:sqlite prepared statement in one transaction: no compiling, no ORM.
 */
function rawBulkInsert(round: number): number {
  const opened = openDatabase(join(dir, `raw-${round}.sqlite`));
  const { sqlite } = opened;
  sqlite.exec(
    "INSERT INTO jobs (uuid, name, job_type, status, settings, metadata, created_at, updated_at) VALUES ('j', 'raw', 'x', 'queued', '{}', '{}', 0, 0)",
  );
  const insert = sqlite.prepare(
    "INSERT INTO tasks (uuid, name, type, job_id, index_in_job, priority, status, commands, steps_total, created_at, updated_at) VALUES (?, 'sleep', 'misc', 1, ?, 50, 'queued', ?, 1, ?, ?)",
  );
  const start = performance.now();
  sqlite.transaction(() => {
    for (let i = 0; i < TASKS; i++) {
      const commands = JSON.stringify([
        { name: "sleep", parameters: { duration_in_seconds: 1 }, total_step_count: 0 },
      ]);
      insert.run(crypto.randomUUID(), i + 1, commands, Date.now(), Date.now());
    }
  })();
  const ms = performance.now() - start;
  opened.close();
  return ms;
}

const config = loadConfig({ cwd: dir, env: {} });
const database = openDatabase(join(dir, "tablao.sqlite"));
const broker = createEventBroker();
const jobTypes = createJobTypeRegistry({ scriptsDir: null, log: () => undefined });
const jobs = createJobService({
  db: database.db,
  broker,
  clock: systemClock,
  jobTypes,
  config: () => config,
  log: () => undefined,
});
const body = {
  name: "bench",
  type: "echo-sleep-test",
  priority: 50,
  submitter_platform: "linux",
  settings: { message: "bench", sleep_duration_seconds: 1, sleep_repeats: TASKS - 1 },
};

await jobs.submit(body); // warm-up: starts the script worker thread and JITs the paths
const tablao: number[] = [];
const raw: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  const job = await jobs.submit(body);
  tablao.push(performance.now() - start);
  if (job.steps_total !== TASKS) throw new Error(`expected ${TASKS} steps, got ${job.steps_total}`);
  raw.push(rawBulkInsert(round));
}
jobTypes.close();
database.close();
rmSync(dir, { recursive: true, force: true });

const t = median(tablao);
const r = median(raw);
console.log(`bench/submit: one job of ${TASKS} tasks, median of ${ROUNDS} rounds`);
console.log(
  `  Tablao compile + store : ${t.toFixed(0).padStart(6)} ms   (target < ${TARGET_MS} ms: ${t < TARGET_MS ? "met" : "MISSED"})`,
);
console.log(`  raw bun:sqlite insert  : ${r.toFixed(0).padStart(6)} ms`);
console.log(
  `  ratio                  : ${(t / r).toFixed(2).padStart(6)} x   (target <= ${TARGET_RATIO}x: ${t / r <= TARGET_RATIO ? "met" : "MISSED"})`,
);
