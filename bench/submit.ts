// bench/submit: compiles and stores a 10,000-task echo-sleep-test job through the real job
// service (node:vm worker thread, Drizzle, one transaction, batched inserts) and compares it
// with a raw bun:sqlite bulk insert of 10,000 rows in one transaction, in the same run.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/open";
import { createEventBroker } from "../src/events/broker";
import { createJobTypeRegistry } from "../src/jobs/job-types";
import { createJobService } from "../src/jobs/service";

const TASKS = 10_000;
const ROUNDS = 5;
const TARGET_MS = 1_000;
const TARGET_RATIO = 5;

const dir = mkdtempSync(join(tmpdir(), "tablao-bench-submit-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rawBulkInsert(round: number): number {
  const db = new Database(join(dir, `raw-${round}.sqlite`), { create: true });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db.exec(`CREATE TABLE tasks (id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, name TEXT, type TEXT, job_id INTEGER,
    index_in_job INTEGER, priority INTEGER, status TEXT, commands TEXT, steps_total INTEGER, created_at INTEGER)`);
  const insert = db.prepare("INSERT INTO tasks VALUES (NULL, ?, ?, ?, 1, ?, 50, 'queued', ?, 1, ?)");
  const start = performance.now();
  db.transaction(() => {
    for (let i = 0; i < TASKS; i++) {
      const commands = JSON.stringify([{ name: "sleep", parameters: { duration_in_seconds: 1 }, total_step_count: 0 }]);
      insert.run(crypto.randomUUID(), "sleep", "misc", i + 1, commands, Date.now());
    }
  })();
  const ms = performance.now() - start;
  db.close();
  return ms;
}

const config = loadConfig({ cwd: dir, env: {} });
const database = openDatabase(join(dir, "tablao.sqlite"));
const broker = createEventBroker();
const jobTypes = createJobTypeRegistry({ scriptsDir: null, log: () => undefined });
const jobs = createJobService({ db: database.db, broker, clock: systemClock, jobTypes, config: () => config, log: () => undefined });
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
console.log(`  Tablao compile + store : ${t.toFixed(0).padStart(6)} ms   (target < ${TARGET_MS} ms: ${t < TARGET_MS ? "met" : "MISSED"})`);
console.log(`  raw bun:sqlite insert  : ${r.toFixed(0).padStart(6)} ms`);
console.log(`  ratio                  : ${(t / r).toFixed(2).padStart(6)} x   (target <= ${TARGET_RATIO}x: ${t / r <= TARGET_RATIO ? "met" : "MISSED"})`);
