// The task-run history SQLite keeps itself (migration 0010) and the job timeline read from it:
// a run per stretch a task is active on a worker, ended with the status it left `active` for,
// bounded per task, gone with its job, kept when its worker goes.
import { afterEach, describe, expect, test } from "bun:test";
import type { TaskStatus } from "../../../src/shared/statuses";
import { createTimeline, SLOWEST_RUNS_LISTED } from "../../../src/manager/jobs/timeline";
import { createTestFarm, type TestFarm } from "../../support/builders";
import { ApiError } from "../../../src/manager/errors";
import { thrownBy } from "../../support/thrown";

let farm: TestFarm | null = null;
afterEach(() => {
  farm?.close();
  farm = null;
});

function fresh(): TestFarm {
  farm = createTestFarm();
  return farm;
}

/** Sets a task's status (and worker) the way the Manager's changes do: updated_at from the clock. */
function setStatus(f: TestFarm, taskId: number, status: TaskStatus, worker?: { id: number }) {
  f.sqlite.run(
    "UPDATE tasks SET status = ?, worker_id = coalesce(?, worker_id), updated_at = ? WHERE id = ?",
    [status, worker?.id ?? null, f.clock.now().getTime(), taskId],
  );
}

const runsOf = (f: TestFarm, taskId: number) =>
  f.sqlite
    .query(
      "SELECT worker_name AS worker, started_at AS started, ended_at AS ended, outcome FROM task_runs WHERE task_id = ? ORDER BY id",
    )
    .all(taskId) as { worker: string; started: number; ended: number | null; outcome: string }[];

describe("task runs", () => {
  test("a task becoming active on a worker starts a run; leaving active ends it with its new status", () => {
    const f = fresh();
    const job = f.addJob();
    const task = f.addTask(job);
    const worker = f.addWorker({ name: "render-01" });
    const t0 = f.clock.now().getTime();
    setStatus(f, task.id, "active", worker);
    expect(runsOf(f, task.id)).toEqual([
      { worker: "render-01", started: t0, ended: null, outcome: "active" },
    ]);

    f.clock.advance(42_000);
    // A progress update keeps the task active: no new run, the run goes on.
    f.sqlite.run("UPDATE tasks SET status = 'active', steps_completed = 1 WHERE id = ?", [task.id]);
    setStatus(f, task.id, "completed");
    expect(runsOf(f, task.id)).toEqual([
      { worker: "render-01", started: t0, ended: t0 + 42_000, outcome: "completed" },
    ]);
  });

  test("a soft-failed task run again elsewhere has two runs; a task taken from one worker to another ends the first", () => {
    const f = fresh();
    const job = f.addJob();
    const task = f.addTask(job);
    const a = f.addWorker({ name: "a" });
    const b = f.addWorker({ name: "b" });
    const c = f.addWorker({ name: "c" });
    setStatus(f, task.id, "active", a);
    f.clock.advance(1000);
    setStatus(f, task.id, "soft-failed");
    setStatus(f, task.id, "active", b);
    f.clock.advance(1000);
    setStatus(f, task.id, "active", c);
    expect(runsOf(f, task.id).map((r) => [r.worker, r.outcome])).toEqual([
      ["a", "soft-failed"],
      ["b", "queued"],
      ["c", "active"],
    ]);
  });

  test("a task run again and again keeps its newest 50 runs", () => {
    const f = fresh();
    const job = f.addJob();
    const task = f.addTask(job);
    const worker = f.addWorker();
    for (let i = 0; i < 60; i++) {
      f.clock.advance(1000);
      setStatus(f, task.id, "active", worker);
      setStatus(f, task.id, "queued");
    }
    const runs = runsOf(f, task.id);
    expect(runs.length).toBe(50);
    expect(runs.at(-1)!.started).toBe(f.clock.now().getTime());
  });

  test("runs go with their job, and stay (with the worker's name) when the worker is deleted", () => {
    const f = fresh();
    const job = f.addJob();
    const task = f.addTask(job);
    const worker = f.addWorker({ name: "gone-soon" });
    setStatus(f, task.id, "active", worker);
    f.sqlite.run("DELETE FROM workers WHERE id = ?", [worker.id]);
    expect(runsOf(f, task.id).map((r) => r.worker)).toEqual(["gone-soon"]);
    f.sqlite.run("DELETE FROM jobs WHERE id = ?", [job.id]);
    expect(f.sqlite.query("SELECT count(*) AS n FROM task_runs").get()).toEqual({ n: 0 });
  });
});

describe("job timeline", () => {
  test("lists the runs oldest first with durations, and figures that single out a failing or slow worker", () => {
    const f = fresh();
    const job = f.addJob();
    const fast = f.addWorker({ name: "fast" });
    const slow = f.addWorker({ name: "slow" });
    const broken = f.addWorker({ name: "broken" });
    const run = (worker: { id: number }, ms: number, end: TaskStatus) => {
      const task = f.addTask(job);
      setStatus(f, task.id, "active", worker);
      f.clock.advance(ms);
      setStatus(f, task.id, end);
      return task;
    };
    for (let i = 0; i < 6; i++) run(fast, 1000, "completed");
    run(slow, 9000, "completed");
    run(broken, 200, "failed");
    const timeline = createTimeline({ db: f.db, clock: f.clock }).ofJob(job.uuid);

    expect(timeline.runs.map((r) => [r.worker_name, r.duration_ms, r.outcome])).toEqual([
      ...Array.from({ length: 6 }, () => ["fast", 1000, "completed"]),
      ["slow", 9000, "completed"],
      ["broken", 200, "failed"],
    ]);
    expect(timeline.figures.completed_runs).toBe(7);
    expect(timeline.figures.average_duration_ms).toBe(Math.round(15_000 / 7));
    expect(timeline.figures.slowest.length).toBe(SLOWEST_RUNS_LISTED);
    expect(timeline.figures.slowest[0]).toMatchObject({ worker_name: "slow", duration_ms: 9000 });
    expect(timeline.figures.by_worker).toEqual([
      {
        worker_id: broken.uuid,
        worker_name: "broken",
        runs: 1,
        completed: 0,
        failed: 1,
        average_duration_ms: null,
      },
      {
        worker_id: fast.uuid,
        worker_name: "fast",
        runs: 6,
        completed: 6,
        failed: 0,
        average_duration_ms: 1000,
      },
      {
        worker_id: slow.uuid,
        worker_name: "slow",
        runs: 1,
        completed: 1,
        failed: 0,
        average_duration_ms: 9000,
      },
    ]);
  });

  test("a running task's bar lasts until now; an unknown job is a 404", () => {
    const f = fresh();
    const job = f.addJob();
    const task = f.addTask(job);
    setStatus(f, task.id, "active", f.addWorker());
    f.clock.advance(5000);
    const timeline = createTimeline({ db: f.db, clock: f.clock });
    const [r] = timeline.ofJob(job.uuid).runs;
    expect(r).toMatchObject({ outcome: "active", duration_ms: 5000 });
    expect(r!.ended_at).toBeUndefined();
    expect(thrownBy(ApiError, () => timeline.ofJob(crypto.randomUUID())).status).toBe(404);
  });
});
