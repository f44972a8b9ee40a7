// The counters SQLite keeps itself (migration 0002): per-job task counts by status, job step
// sums and per-task unmet dependencies, checked against a recount after every kind of change
// and after the backfill of a database written before the migration.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import { tempDirs } from "../../support/temp-dirs";
import { counterDrift } from "./counters";

const MIGRATIONS_DIR = join(import.meta.dir, "../../../src/manager/db/migrations");
const TRIGGERS = [
  "jobs_start_without_steps",
  "task_dependencies_counted_on_delete",
  "task_dependencies_counted_on_insert",
  "tasks_counted_on_delete",
  "tasks_counted_on_insert",
  "tasks_counted_on_status",
  "tasks_counted_on_steps",
  "tasks_runnable_on_change",
  "tasks_runnable_on_delete",
  "tasks_runnable_on_insert",
  "tasks_unblock_dependents",
  "tasks_unblock_dependents_on_delete",
];
const STATUSES = ["queued", "active", "completed", "failed", "soft-failed", "canceled", "paused"];

const tempDir = tempDirs("tablao-counter-triggers");
let opened: OpenedDatabase | null = null;
afterEach(() => {
  opened?.close();
  opened = null;
});

function fresh(): Database {
  opened = openDatabase(":memory:");
  return opened.sqlite;
}

/** Rows as a Manager stores them; ids are assigned in call order, starting at 1. */
function seeder(sqlite: Database) {
  let seq = 0;
  const insertTask = sqlite.prepare(
    `INSERT INTO tasks (created_at, updated_at, uuid, name, type, job_id, index_in_job, status, commands, steps_completed, steps_total)
     VALUES (0, 0, ?, 't', ?, ?, ?, ?, '[]', ?, ?) RETURNING id`,
  );
  return {
    job(stepsTotal = 0): number {
      const row = sqlite
        .query(
          `INSERT INTO jobs (created_at, updated_at, uuid, name, job_type, status, settings, metadata, steps_total)
           VALUES (0, 0, ?, 'j', 'x', 'queued', '{}', '{}', ?) RETURNING id`,
        )
        .get(crypto.randomUUID(), stepsTotal) as { id: number };
      return row.id;
    },
    task(jobId: number, status = "queued", steps = { completed: 0, total: 1 }, type = "misc"): number {
      const row = insertTask.get(
        crypto.randomUUID(),
        type,
        jobId,
        ++seq,
        status,
        steps.completed,
        steps.total,
      ) as { id: number };
      return row.id;
    },
    depend(taskId: number, dependencyId: number): void {
      sqlite.run("INSERT INTO task_dependencies (task_id, dependency_id) VALUES (?, ?)", [
        taskId,
        dependencyId,
      ]);
    },
  };
}

const unmet = (sqlite: Database, id: number) =>
  (sqlite.query("SELECT unmet_dependencies AS n FROM tasks WHERE id = ?").get(id) as { n: number }).n;
/** A job's positive counts in one of the counter tables, by its key (status or task type). */
const countsIn = (
  sqlite: Database,
  table: "job_task_counts" | "job_runnable_task_types",
  key: "status" | "type",
  jobId: number,
) =>
  Object.fromEntries(
    (
      sqlite.query(`SELECT ${key} AS k, count FROM ${table} WHERE job_id = ? AND count > 0`).all(jobId) as {
        k: string;
        count: number;
      }[]
    ).map((r) => [r.k, r.count]),
  );
const counts = (sqlite: Database, jobId: number) => countsIn(sqlite, "job_task_counts", "status", jobId);
const jobSteps = (sqlite: Database, jobId: number) =>
  sqlite.query("SELECT steps_completed AS completed, steps_total AS total FROM jobs WHERE id = ?").get(jobId);

describe("counter triggers", () => {
  test("all exist after opening the database (a table rebuild in a later migration would drop them)", () => {
    const names = (
      fresh().query("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(names).toEqual(TRIGGERS);
  });

  test("inserting a job's tasks and dependencies counts them; what the job row said is replaced", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    const job = seed.job(999);
    const echo = seed.task(job, "queued", { completed: 0, total: 2 });
    const sleeps = [1, 2, 3].map(() => seed.task(job));
    for (const s of sleeps) seed.depend(s, echo);
    expect(counts(sqlite, job)).toEqual({ queued: 4 });
    expect(jobSteps(sqlite, job)).toEqual({ completed: 0, total: 5 });
    expect(sleeps.map((s) => unmet(sqlite, s))).toEqual([1, 1, 1]);
    expect(unmet(sqlite, echo)).toBe(0);
  });

  test("a dependency that is already completed is met from the start", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    const job = seed.job();
    const done = seed.task(job, "completed", { completed: 1, total: 1 });
    const open = seed.task(job, "active");
    const t = seed.task(job);
    seed.depend(t, done);
    seed.depend(t, open);
    expect(unmet(sqlite, t)).toBe(1);
  });

  test("completing a dependency unblocks its dependents; leaving completed blocks them again", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    const job = seed.job();
    const a = seed.task(job);
    const b = seed.task(job);
    const c = seed.task(job);
    seed.depend(b, a);
    seed.depend(c, a);
    seed.depend(c, b);
    sqlite.run("UPDATE tasks SET status = 'completed', steps_completed = steps_total WHERE id = ?", [a]);
    expect([unmet(sqlite, b), unmet(sqlite, c)]).toEqual([0, 1]);
    expect(counts(sqlite, job)).toEqual({ queued: 2, completed: 1 });
    expect(jobSteps(sqlite, job)).toEqual({ completed: 1, total: 3 });
    // A status change that neither enters nor leaves "completed" leaves dependents alone.
    sqlite.run("UPDATE tasks SET status = 'active' WHERE id = ?", [b]);
    expect(unmet(sqlite, c)).toBe(1);
    // The whole job back to queued in one statement, as a requeue does.
    sqlite.run("UPDATE tasks SET status = 'queued', steps_completed = 0 WHERE job_id = ?", [job]);
    expect([unmet(sqlite, a), unmet(sqlite, b), unmet(sqlite, c)]).toEqual([0, 1, 2]);
    expect(counts(sqlite, job)).toEqual({ queued: 3 });
    expect(jobSteps(sqlite, job)).toEqual({ completed: 0, total: 3 });
    expect(counterDrift(sqlite)).toEqual([]);
  });

  test("writing the same status or steps again changes nothing", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    const job = seed.job();
    const a = seed.task(job, "completed", { completed: 1, total: 1 });
    const b = seed.task(job);
    seed.depend(b, a);
    sqlite.run(
      "UPDATE tasks SET status = status, steps_completed = steps_completed, steps_total = steps_total",
    );
    expect(counts(sqlite, job)).toEqual({ queued: 1, completed: 1 });
    expect(jobSteps(sqlite, job)).toEqual({ completed: 1, total: 2 });
    expect(unmet(sqlite, b)).toBe(0);
  });

  test("deleting a task or a dependency uncounts it; deleting a job removes its counts", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    const job = seed.job();
    const a = seed.task(job, "active", { completed: 1, total: 4 });
    const b = seed.task(job);
    const c = seed.task(job);
    seed.depend(b, a);
    seed.depend(c, a);
    seed.depend(c, b);
    sqlite.run("DELETE FROM task_dependencies WHERE task_id = ? AND dependency_id = ?", [c, b]);
    expect(unmet(sqlite, c)).toBe(1);
    sqlite.run("DELETE FROM tasks WHERE id = ?", [a]);
    expect([unmet(sqlite, b), unmet(sqlite, c)]).toEqual([0, 0]);
    expect(counts(sqlite, job)).toEqual({ queued: 2 });
    expect(jobSteps(sqlite, job)).toEqual({ completed: 0, total: 2 });

    const other = seed.job();
    seed.task(other);
    sqlite.run("DELETE FROM jobs WHERE id = ?", [job]);
    expect(sqlite.query("SELECT job_id, status, count FROM job_task_counts").all()).toEqual([
      { job_id: other, status: "queued", count: 1 },
    ]);
    expect(counterDrift(sqlite)).toEqual([]);
  });

  test("runnable tasks are counted per job and type: queued or soft-failed, with no unmet dependency", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    const job = seed.job();
    const render = seed.task(job, "queued", undefined, "blender");
    const video = seed.task(job, "queued", undefined, "ffmpeg");
    seed.depend(video, render);
    seed.task(job, "active", undefined, "blender");
    const runnable = () => countsIn(sqlite, "job_runnable_task_types", "type", job);
    expect(runnable()).toEqual({ blender: 1 });
    sqlite.run("UPDATE tasks SET status = 'completed' WHERE id = ?", [render]);
    expect(runnable()).toEqual({ ffmpeg: 1 });
    sqlite.run("UPDATE tasks SET status = 'soft-failed' WHERE id = ?", [video]);
    expect(runnable()).toEqual({ ffmpeg: 1 });
    sqlite.run("UPDATE tasks SET status = 'queued' WHERE id = ?", [render]);
    expect(runnable()).toEqual({ blender: 1 });
    sqlite.run("DELETE FROM jobs WHERE id = ?", [job]);
    expect(sqlite.query("SELECT count(*) AS n FROM job_runnable_task_types").get()).toEqual({ n: 0 });
  });

  test("stay equal to a recount through a long random mix of changes", () => {
    const sqlite = fresh();
    const seed = seeder(sqlite);
    // A fixed-seed generator (mulberry32), so a failure replays the same way.
    let state = 20_240_611;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const ids = (q: string, ...args: number[]) =>
      (sqlite.query(q).all(...args) as { id: number }[]).map((r) => r.id);
    const jobIds = () => ids("SELECT id FROM jobs");
    const taskIds = () => ids("SELECT id FROM tasks");

    const addJob = () => {
      const job = seed.job(7);
      const made: number[] = [];
      for (let i = 0; i < 12; i++) {
        const t = seed.task(
          job,
          pick(STATUSES),
          { completed: Math.floor(random() * 3), total: 1 + Math.floor(random() * 3) },
          pick(["misc", "blender", "ffmpeg"]),
        );
        for (const dep of made) if (random() < 0.3) seed.depend(t, dep);
        made.push(t);
      }
    };
    addJob();
    addJob();

    const operations: (() => void)[] = [
      () => sqlite.run("UPDATE tasks SET status = ? WHERE id = ?", [pick(STATUSES), pick(taskIds())]),
      () =>
        sqlite.run("UPDATE tasks SET status = ?, steps_completed = steps_total WHERE id = ?", [
          "completed",
          pick(taskIds()),
        ]),
      () =>
        sqlite.run("UPDATE tasks SET steps_completed = ?, steps_total = ? WHERE id = ?", [
          Math.floor(random() * 4),
          1 + Math.floor(random() * 4),
          pick(taskIds()),
        ]),
      () =>
        sqlite.run("UPDATE tasks SET status = ? WHERE job_id = ? AND status = ?", [
          pick(STATUSES),
          pick(jobIds()),
          pick(STATUSES),
        ]),
      () =>
        sqlite.run("UPDATE tasks SET status = 'queued', steps_completed = 0 WHERE job_id = ?", [
          pick(jobIds()),
        ]),
      () =>
        sqlite.run(
          "DELETE FROM task_dependencies WHERE rowid = (SELECT rowid FROM task_dependencies ORDER BY random() LIMIT 1)",
        ),
      () => sqlite.run("DELETE FROM tasks WHERE id = ?", [pick(taskIds())]),
      () => {
        // Dependencies stay within a job, as compiled jobs have them.
        const inJob = ids("SELECT id FROM tasks WHERE job_id = ?", pick(jobIds()));
        const [a, b] = [pick(inJob), pick(inJob)];
        if (a !== undefined && a !== b) {
          sqlite.run("INSERT OR IGNORE INTO task_dependencies (task_id, dependency_id) VALUES (?, ?)", [
            a,
            b,
          ]);
        }
      },
      () => (jobIds().length > 1 ? sqlite.run("DELETE FROM jobs WHERE id = ?", [pick(jobIds())]) : addJob()),
      addJob,
    ];
    for (let step = 0; step < 400; step++) {
      if (taskIds().length === 0) addJob();
      const op = Math.floor(random() * operations.length);
      operations[op]();
      const drift = counterDrift(sqlite);
      if (drift.length > 0) throw new Error(`step ${step} (operation ${op}) left:\n${drift.join("\n")}`);
    }
  });
});

describe("migration 0002 backfill", () => {
  test("a database written before the counters gets exact counts, steps and unmet dependencies", () => {
    // The migrations folder as it was before the counters: only 0000 in the journal.
    const before = tempDir();
    mkdirSync(join(before, "meta"));
    copyFileSync(join(MIGRATIONS_DIR, "0000_init.sql"), join(before, "0000_init.sql"));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8"));
    journal.entries = journal.entries.filter((e: { tag: string }) => e.tag === "0000_init");
    writeFileSync(join(before, "meta/_journal.json"), JSON.stringify(journal));

    const path = join(tempDir(), "old.sqlite");
    const sqlite = new Database(path, { create: true, strict: true });
    sqlite.exec("PRAGMA foreign_keys = ON");
    migrate(drizzle({ client: sqlite }), { migrationsFolder: before });
    const seed = seeder(sqlite);
    const job = seed.job(3); // a stale total, as a crash between writes could leave
    const done = seed.task(job, "completed", { completed: 2, total: 2 });
    const running = seed.task(job, "active", { completed: 1, total: 3 });
    const waiting = seed.task(job);
    seed.depend(waiting, done);
    seed.depend(waiting, running);
    const free = seed.task(job);
    seed.depend(free, done);
    const other = seed.job();
    seed.task(other, "failed");
    sqlite.close();

    opened = openDatabase(path);
    const migrated = opened.sqlite;
    expect(counterDrift(migrated)).toEqual([]);
    expect(counts(migrated, job)).toEqual({ completed: 1, active: 1, queued: 2 });
    expect(counts(migrated, other)).toEqual({ failed: 1 });
    expect(jobSteps(migrated, job)).toEqual({ completed: 3, total: 7 });
    expect([unmet(migrated, waiting), unmet(migrated, free)]).toEqual([1, 0]);
    // The triggers run from there on.
    migrated.run("UPDATE tasks SET status = 'completed', steps_completed = steps_total WHERE id = ?", [
      running,
    ]);
    expect(unmet(migrated, waiting)).toBe(0);
    expect(counterDrift(migrated)).toEqual([]);
  });
});
