// The per-job counters the state machine decides on (task counts by status, job steps) and the
// per-task unmet-dependency counts the scheduler relies on, through the changes a job goes
// through: submission, completion, failure, cancel, requeue and deletion.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { jobs, tasks, type JobRow, type TaskRow } from "../../../src/manager/db/schema";
import { TASK_STATUSES, type TaskStatus } from "../../../src/shared/statuses";
import { storeCompiledJob } from "../../../src/manager/jobs/store";
import { countTasksOfJob, touchJob } from "../../../src/manager/db/queries/job-tasks";
import { counterDrift } from "../db/counters";
import { createFixture, type Fixture } from "./fixture";

/** Statuses with at least one task, as countTasksOfJob reports them. */
function countsOf(f: Fixture, job: JobRow): Record<string, number> {
  const counts = countTasksOfJob(f.db, job.id);
  const present = TASK_STATUSES.filter((s) => counts.of(s) > 0).map((s): [string, number] => [
    s,
    counts.of(s),
  ]);
  expect(counts.total).toBe(present.reduce((sum, [, n]) => sum + n, 0));
  return Object.fromEntries(present);
}

const unmet = (f: Fixture, tasks: TaskRow[]) => tasks.map((t) => f.task(t).unmetDependencies);
const steps = (f: Fixture, job: JobRow) => ({
  completed: f.job(job).stepsCompleted,
  total: f.job(job).stepsTotal,
});

/** An echo task of 2 steps, then `sleeps` sleep tasks of 1 step that wait for it. */
function echoSleepJob(f: Fixture, sleeps = 3): { job: JobRow; echo: TaskRow; sleepTasks: TaskRow[] } {
  const job = f.addJob({ status: "queued" });
  const echo = f.addTask(job, { status: "queued", stepsTotal: 2 });
  const sleepTasks = f.addTasks(job, sleeps, { status: "queued" });
  for (const t of sleepTasks) f.addDependency(t, echo);
  return { job, echo, sleepTasks };
}

function change(f: Fixture, task: TaskRow, status: TaskStatus): TaskRow {
  return f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, f.task(task), status));
}

describe("per-job counters", () => {
  test("a submitted job counts its tasks and steps, and its dependents wait", async () => {
    const f = createFixture();
    const uuid = () => crypto.randomUUID();
    const echoUUID = uuid();
    const command = (total_step_count: number) => ({ name: "echo", parameters: {}, total_step_count });
    const stored = await storeCompiledJob(
      { db: f.db, broker: f.broker },
      {
        id: uuid(),
        name: "submitted",
        type: "echo-sleep-test",
        priority: 50,
        settings: {},
        metadata: {},
        storageShamanCheckoutId: "",
        workerTagUUID: "",
        tasks: [
          {
            uuid: echoUUID,
            name: "echo",
            type: "misc",
            priority: 50,
            commands: [command(3)],
            dependencies: [],
          },
          {
            uuid: uuid(),
            name: "sleep 1",
            type: "misc",
            priority: 50,
            commands: [command(0)],
            dependencies: [echoUUID],
          },
          {
            uuid: uuid(),
            name: "sleep 2",
            type: "misc",
            priority: 50,
            commands: [command(0), command(2)],
            dependencies: [echoUUID],
          },
        ],
      },
      { status: "queued", workerTagId: null, now: f.clock.now() },
    );
    const job = f.job(stored);
    expect(stored.stepsTotal).toBe(7);
    expect(steps(f, job)).toEqual({ completed: 0, total: 7 });
    expect(countsOf(f, job)).toEqual({ queued: 3 });
    expect(f.tasksOf(job).map((t) => t.unmetDependencies)).toEqual([0, 1, 1]);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("completing tasks counts their steps, unblocks dependents and completes the job on the last one", () => {
    const f = createFixture();
    const { job, echo, sleepTasks } = echoSleepJob(f);
    change(f, echo, "active");
    expect(countsOf(f, job)).toEqual({ queued: 3, active: 1 });
    expect(unmet(f, sleepTasks)).toEqual([1, 1, 1]);

    change(f, echo, "completed");
    expect(countsOf(f, job)).toEqual({ queued: 3, completed: 1 });
    expect(steps(f, job)).toEqual({ completed: 2, total: 5 });
    expect(unmet(f, sleepTasks)).toEqual([0, 0, 0]);
    expect(f.job(job).status).toBe("active");

    for (const t of sleepTasks) change(f, change(f, t, "active"), "completed");
    expect(countsOf(f, job)).toEqual({ completed: 4 });
    expect(steps(f, job)).toEqual({ completed: 5, total: 5 });
    expect(f.job(job).status).toBe("completed");
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("a step report moves the job's steps by the difference and stamps the job", () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    const task = f.addTask(job, { status: "active", stepsTotal: 10 });
    f.addTask(job, { status: "queued", stepsTotal: 5 });
    f.db.orm.update(tasks).set({ stepsCompleted: 4 }).where(eq(tasks.id, task.id)).run();
    f.clock.advance(1_000);
    const saved = f.run((tx) => touchJob(tx, job.id, f.clock.now()));
    expect(saved).toMatchObject({ stepsCompleted: 4, stepsTotal: 15, updatedAt: f.clock.now() });
    expect(() => f.run((tx) => touchJob(tx, job.id + 1, f.clock.now()))).toThrow(
      `job ${job.id + 1} does not exist`,
    );
  });

  test("failures count as soft-failed, then failed, and fail the job on the counts", () => {
    const f = createFixture({ blocklistThreshold: 10, taskFailAfterSoftfailCount: 2 });
    const job = f.addJob({ status: "active" });
    const first = f.addTask(job, { status: "queued" });
    f.addTasks(job, 4, { status: "queued" });
    const [w1, w2] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" })];
    const failBy = (t: TaskRow, w: typeof w1) => {
      const active = change(f, t, "active");
      return f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, active, w));
    };
    expect(failBy(first, w1).status).toBe("soft-failed");
    expect(countsOf(f, job)).toEqual({ queued: 4, "soft-failed": 1 });
    expect(failBy(first, w2).status).toBe("failed");
    // 1 of 5 failed is 20%, over the 10% limit: the job fails and cancels the rest.
    expect(f.job(job).status).toBe("failed");
    expect(countsOf(f, job)).toEqual({ failed: 1, canceled: 4 });
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("cancelling a job counts its runnable tasks as canceled and leaves completed ones", () => {
    const f = createFixture();
    const { job, echo, sleepTasks } = echoSleepJob(f);
    change(f, change(f, echo, "active"), "completed");
    const [running] = sleepTasks;
    if (!running) throw new Error("the job has no sleep tasks");
    change(f, running, "active");
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "cancel-requested", "stop"));
    expect(countsOf(f, job)).toEqual({ completed: 1, canceled: 3 });
    expect(f.job(job).status).toBe("canceled");
    expect(unmet(f, sleepTasks)).toEqual([0, 0, 0]);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("requeueing a completed job queues every task, blocks dependents again and zeroes its steps", () => {
    const f = createFixture();
    const { job, echo, sleepTasks } = echoSleepJob(f);
    for (const t of [echo, ...sleepTasks]) change(f, change(f, t, "active"), "completed");
    expect(f.job(job).status).toBe("completed");

    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "requeueing", "again"));
    expect(f.job(job).status).toBe("queued");
    expect(countsOf(f, job)).toEqual({ queued: 4 });
    expect(steps(f, job)).toEqual({ completed: 0, total: 5 });
    expect(unmet(f, sleepTasks)).toEqual([1, 1, 1]);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("requeueing one task of a completed job does the same through the job", () => {
    const f = createFixture();
    const { job, echo, sleepTasks } = echoSleepJob(f);
    for (const t of [echo, ...sleepTasks]) change(f, change(f, t, "active"), "completed");

    const [, second] = sleepTasks;
    if (!second) throw new Error("the job has fewer than two sleep tasks");
    change(f, second, "queued");
    expect(f.job(job).status).toBe("queued");
    expect(countsOf(f, job)).toEqual({ queued: 4 });
    expect(steps(f, job)).toEqual({ completed: 0, total: 5 });
    expect(unmet(f, sleepTasks)).toEqual([1, 1, 1]);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("deleting a job removes its counts and leaves other jobs' alone", () => {
    const f = createFixture();
    const { job } = echoSleepJob(f);
    const other = echoSleepJob(f, 2);
    f.db.orm.delete(jobs).where(eq(jobs.id, job.id)).run();
    expect(countTasksOfJob(f.db, job.id).total).toBe(0);
    expect(countsOf(f, other.job)).toEqual({ queued: 3 });
    expect(unmet(f, other.sleepTasks)).toEqual([1, 1]);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });
});
