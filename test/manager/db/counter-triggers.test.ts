// The counters SQLite keeps itself (migration 0002): per-job task counts by status, job step
// sums and per-task unmet dependencies, checked against a recount after every kind of change
// and after the backfill of a database written before the migration.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { z } from "zod";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import type { TaskRow } from "../../../src/manager/db/schema";
import { TASK_STATUSES } from "../../../src/shared/statuses";
import { createTestFarm, type TestFarm } from "../../support/builders";
import { tempDirs } from "../../support/temp-dirs";
import { counterDrift } from "./counters";

const MIGRATIONS_DIR = join(import.meta.dir, "../../../src/manager/db/migrations");
/** The part of drizzle's meta/_journal.json the backfill test rewrites. */
const DrizzleJournal = z.looseObject({ entries: z.array(z.looseObject({ tag: z.string() })) });
const TRIGGERS = [
  "jobs_start_without_steps",
  "task_dependencies_counted_on_delete",
  "task_dependencies_counted_on_insert",
  "task_runs_end",
  "task_runs_start",
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

const tempDir = tempDirs("tablao-counter-triggers");
let opened: OpenedDatabase | TestFarm | null = null;
afterEach(() => {
  opened?.close();
  opened = null;
});

/** A fresh database with the builders; the checks below read it with raw SQL (`farm.sqlite`). */
function fresh(): TestFarm {
  const farm = createTestFarm();
  opened = farm;
  return farm;
}

/**
 * Rows written with raw SQL into a database migrated only to 0000, which the builders (written
 * against today's schema) cannot insert into; ids are assigned in call order, starting at 1.
 */
function oldSchemaSeeder(sqlite: Database) {
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
      fresh().sqlite.query("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(names).toEqual(TRIGGERS);
  });

  test("inserting a job's tasks and dependencies counts them; what the job row said is replaced", () => {
    const f = fresh();
    const job = f.addJob({ stepsTotal: 999 });
    const echo = f.addTask(job, { stepsTotal: 2 });
    const sleeps = [1, 2, 3].map(() => f.addTask(job, { dependsOn: [echo] }));
    expect(counts(f.sqlite, job.id)).toEqual({ queued: 4 });
    expect(jobSteps(f.sqlite, job.id)).toEqual({ completed: 0, total: 5 });
    expect(sleeps.map((s) => unmet(f.sqlite, s.id))).toEqual([1, 1, 1]);
    expect(unmet(f.sqlite, echo.id)).toBe(0);
  });

  test("a dependency that is already completed is met from the start", () => {
    const f = fresh();
    const job = f.addJob();
    const done = f.addTask(job, { status: "completed" });
    const open = f.addTask(job, { status: "active" });
    const t = f.addTask(job, { dependsOn: [done, open] });
    expect(unmet(f.sqlite, t.id)).toBe(1);
  });

  test("completing a dependency unblocks its dependents; leaving completed blocks them again", () => {
    const { sqlite, ...f } = fresh();
    const job = f.addJob();
    const a = f.addTask(job);
    const b = f.addTask(job, { dependsOn: [a] });
    const c = f.addTask(job, { dependsOn: [a, b] });
    sqlite.run("UPDATE tasks SET status = 'completed', steps_completed = steps_total WHERE id = ?", [a.id]);
    expect([unmet(sqlite, b.id), unmet(sqlite, c.id)]).toEqual([0, 1]);
    expect(counts(sqlite, job.id)).toEqual({ queued: 2, completed: 1 });
    expect(jobSteps(sqlite, job.id)).toEqual({ completed: 1, total: 3 });
    // A status change that neither enters nor leaves "completed" leaves dependents alone.
    sqlite.run("UPDATE tasks SET status = 'active' WHERE id = ?", [b.id]);
    expect(unmet(sqlite, c.id)).toBe(1);
    // The whole job back to queued in one statement, as a requeue does.
    sqlite.run("UPDATE tasks SET status = 'queued', steps_completed = 0 WHERE job_id = ?", [job.id]);
    expect([unmet(sqlite, a.id), unmet(sqlite, b.id), unmet(sqlite, c.id)]).toEqual([0, 1, 2]);
    expect(counts(sqlite, job.id)).toEqual({ queued: 3 });
    expect(jobSteps(sqlite, job.id)).toEqual({ completed: 0, total: 3 });
    expect(counterDrift(sqlite)).toEqual([]);
  });

  test("writing the same status or steps again changes nothing", () => {
    const { sqlite, ...f } = fresh();
    const job = f.addJob();
    const a = f.addTask(job, { status: "completed" });
    const b = f.addTask(job, { dependsOn: [a] });
    sqlite.run(
      "UPDATE tasks SET status = status, steps_completed = steps_completed, steps_total = steps_total",
    );
    expect(counts(sqlite, job.id)).toEqual({ queued: 1, completed: 1 });
    expect(jobSteps(sqlite, job.id)).toEqual({ completed: 1, total: 2 });
    expect(unmet(sqlite, b.id)).toBe(0);
  });

  test("deleting a task or a dependency uncounts it; deleting a job removes its counts", () => {
    const { sqlite, ...f } = fresh();
    const job = f.addJob();
    const a = f.addTask(job, { status: "active", stepsCompleted: 1, stepsTotal: 4 });
    const b = f.addTask(job, { dependsOn: [a] });
    const c = f.addTask(job, { dependsOn: [a, b] });
    sqlite.run("DELETE FROM task_dependencies WHERE task_id = ? AND dependency_id = ?", [c.id, b.id]);
    expect(unmet(sqlite, c.id)).toBe(1);
    sqlite.run("DELETE FROM tasks WHERE id = ?", [a.id]);
    expect([unmet(sqlite, b.id), unmet(sqlite, c.id)]).toEqual([0, 0]);
    expect(counts(sqlite, job.id)).toEqual({ queued: 2 });
    expect(jobSteps(sqlite, job.id)).toEqual({ completed: 0, total: 2 });

    const other = f.addJob();
    f.addTask(other);
    sqlite.run("DELETE FROM jobs WHERE id = ?", [job.id]);
    expect(sqlite.query("SELECT job_id, status, count FROM job_task_counts").all()).toEqual([
      { job_id: other.id, status: "queued", count: 1 },
    ]);
    expect(counterDrift(sqlite)).toEqual([]);
  });

  test("runnable tasks are counted per job and type: queued or soft-failed, with no unmet dependency", () => {
    const { sqlite, ...f } = fresh();
    const job = f.addJob();
    const render = f.addTask(job, { type: "blender" });
    const video = f.addTask(job, { type: "ffmpeg", dependsOn: [render] });
    f.addTask(job, { status: "active", type: "blender" });
    const runnable = () => countsIn(sqlite, "job_runnable_task_types", "type", job.id);
    expect(runnable()).toEqual({ blender: 1 });
    sqlite.run("UPDATE tasks SET status = 'completed' WHERE id = ?", [render.id]);
    expect(runnable()).toEqual({ ffmpeg: 1 });
    sqlite.run("UPDATE tasks SET status = 'soft-failed' WHERE id = ?", [video.id]);
    expect(runnable()).toEqual({ ffmpeg: 1 });
    sqlite.run("UPDATE tasks SET status = 'queued' WHERE id = ?", [render.id]);
    expect(runnable()).toEqual({ blender: 1 });
    sqlite.run("DELETE FROM jobs WHERE id = ?", [job.id]);
    expect(sqlite.query("SELECT count(*) AS n FROM job_runnable_task_types").get()).toEqual({ n: 0 });
  });

  test("stay equal to a recount through a long random mix of changes", () => {
    const { sqlite, ...f } = fresh();
    // A fixed-seed generator (mulberry32), so a failure replays the same way.
    let state = 20_240_611;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    /** A random element of `xs`, or undefined when it is empty (the draw happens either way). */
    const pickOrNone = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(random() * xs.length)];
    const pick = <T>(xs: readonly T[]): T => {
      const x = pickOrNone(xs);
      if (x === undefined) throw new Error("pick from an empty list");
      return x;
    };
    const ids = (q: string, ...args: number[]) =>
      (sqlite.query(q).all(...args) as { id: number }[]).map((r) => r.id);
    const jobIds = () => ids("SELECT id FROM jobs");
    const taskIds = () => ids("SELECT id FROM tasks");

    const addJob = () => {
      const job = f.addJob({ stepsTotal: 7 });
      const made: TaskRow[] = [];
      for (let i = 0; i < 12; i++) {
        const t = f.addTask(job, {
          status: pick(TASK_STATUSES),
          stepsCompleted: Math.floor(random() * 3),
          stepsTotal: 1 + Math.floor(random() * 3),
          type: pick(["misc", "blender", "ffmpeg"]),
        });
        for (const dep of made) if (random() < 0.3) f.addDependency(t, dep);
        made.push(t);
      }
    };
    addJob();
    addJob();

    const operations: (() => void)[] = [
      () => sqlite.run("UPDATE tasks SET status = ? WHERE id = ?", [pick(TASK_STATUSES), pick(taskIds())]),
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
          pick(TASK_STATUSES),
          pick(jobIds()),
          pick(TASK_STATUSES),
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
        // The job may have no tasks left (all deleted): then there is nothing to link.
        const [a, b] = [pickOrNone(inJob), pickOrNone(inJob)];
        if (a !== undefined && b !== undefined && a !== b) {
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
      const operation = operations[op];
      if (!operation) throw new Error(`no operation ${op} of ${operations.length}`);
      operation();
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
    // Loose objects: drizzle's other journal fields are written back as they were.
    const journal = DrizzleJournal.parse(
      JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")),
    );
    const entries = journal.entries.filter((e) => e.tag === "0000_init");
    writeFileSync(join(before, "meta/_journal.json"), JSON.stringify({ ...journal, entries }));

    const path = join(tempDir(), "old.sqlite");
    const sqlite = new Database(path, { create: true, strict: true });
    sqlite.exec("PRAGMA foreign_keys = ON");
    migrate(drizzle({ client: sqlite }), { migrationsFolder: before });
    const seed = oldSchemaSeeder(sqlite);
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
