// Bulk work in slices: a submitted job is stored in several transactions and is handed out only
// once all of it is in; a crash between slices is repaired at start-up; worker requests are
// answered between the slices; a job-wide status change of more tasks than one slice moves them
// in slices while the job stays in its transitional status.
import { afterEach, describe, expect, test } from "bun:test";
import { countTasksOfJob } from "../../../src/manager/db/queries/job-tasks";
import { jobs, tasks, type TaskRow } from "../../../src/manager/db/schema";
import type { CompiledJob } from "../../../src/manager/jobs/job-types";
import { removeJobInSlices, TASK_DELETE_SLICE_ROWS } from "../../../src/manager/jobs/slices";
import { JOB_STORE_SLICE_ROWS, storeCompiledJob } from "../../../src/manager/jobs/store";
import { JOB_TASKS_RETRY_MS, JOB_TASKS_SLICE_ROWS } from "../../../src/manager/state-machine/job-state";
import { counterDrift } from "../db/counters";
import { createFarm, type Farm } from "../../support/task-farm";
import { waitFor } from "../../support/wait";
import { createFixture } from "../state-machine/fixture";

/** An echo task, then `sleeps` sleep tasks that each depend on it (the echo-sleep-test shape). */
function compiledJob(sleeps: number): CompiledJob {
  const echo = crypto.randomUUID();
  const task = (name: string, dependencies: string[]) => ({
    uuid: name === "echo" ? echo : crypto.randomUUID(),
    name,
    type: "misc",
    priority: 50,
    commands: [{ name: "echo", parameters: { message: name }, total_step_count: 1 }],
    dependencies,
  });
  return {
    id: crypto.randomUUID(),
    name: `job of ${sleeps + 1} tasks`,
    type: "echo-sleep-test",
    priority: 50,
    settings: {},
    metadata: {},
    storageShamanCheckoutId: "",
    workerTagUUID: "",
    tasks: [task("echo", []), ...Array.from({ length: sleeps }, (_, i) => task(`sleep ${i}`, [echo]))],
  };
}

const onlyJob = (f: { db: Farm["db"] }) => {
  const job = f.db.orm.select().from(jobs).get();
  if (!job) throw new Error("no job stored yet");
  return job;
};

const never = () => new Promise<void>(() => undefined);

let farm: Farm | null = null;
afterEach(() => {
  farm?.close();
  farm = null;
});

describe("storing a submitted job", () => {
  test("the job is not schedulable until all its tasks and dependencies are in", async () => {
    const f = (farm = createFarm());
    const worker = f.addWorker();
    const seen: { status: string; tasks: number; poll: string }[] = [];
    const compiled = compiledJob(2 * JOB_STORE_SLICE_ROWS);
    const stored = await storeCompiledJob(
      {
        db: f.db,
        broker: f.broker,
        afterSlice: async () => {
          const job = f.job(onlyJob(f).id);
          seen.push({
            status: job.status,
            tasks: countTasksOfJob(f.db, job.id).total,
            poll: (await f.scheduler.scheduleTask(f.worker(worker))).kind,
          });
        },
      },
      compiled,
      { status: "queued", workerTagId: null, now: f.clock.now() },
    );
    // Three slices of tasks, two of dependencies: a poll after each found nothing to hand out.
    expect(seen.length).toBe(5);
    for (const s of seen) expect(s).toMatchObject({ status: "under-construction", poll: "none" });
    expect(seen.map((s) => s.tasks)).toEqual([500, 1000, 1001, 1001, 1001]);
    expect(stored.status).toBe("queued");
    expect(f.eventsOf("/jobs").map((e) => e.status)).toEqual(["queued"]);
    const assigned = await f.scheduler.scheduleTask(f.worker(worker));
    expect(assigned.kind === "assigned" && assigned.task.name).toBe("echo");
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("a crash between slices leaves a job the start-up repair marks for deletion", async () => {
    const f = createFixture();
    const stopped = storeCompiledJob(
      { db: f.db, broker: f.broker, afterSlice: (n) => (n === 2 ? never() : undefined) },
      compiledJob(3 * JOB_STORE_SLICE_ROWS),
      { status: "queued", workerTagId: null, now: f.clock.now() },
    );
    const job = await waitFor("two slices written", () => {
      const row = f.db.orm.select().from(jobs).get();
      return row && countTasksOfJob(f.db, row.id).total === 2 * JOB_STORE_SLICE_ROWS && row;
    });
    expect(job.status).toBe("under-construction");
    expect(counterDrift(f.sqlite)).toEqual([]);

    // What start-up does; the deleter then removes every job marked for deletion.
    expect(f.sm.repairStuckJobs()).toBe(1);
    expect(f.job(job).deleteRequestedAt).not.toBeNull();
    void stopped;
  });

  test("a worker's poll during a large submission is answered before the submission ends", async () => {
    const f = (farm = createFarm());
    const worker = f.addWorker();
    // As below: the first poll's slow secret check is out of the way.
    await f.app.request("/api/v3/worker/task", { method: "POST", headers: f.auth(worker) });
    const order: string[] = [];
    const submission = storeCompiledJob({ db: f.db, broker: f.broker }, compiledJob(10_000), {
      status: "queued",
      workerTagId: null,
      now: f.clock.now(),
    }).then(() => order.push("submission"));
    const poll = Promise.resolve(
      f.app.request("/api/v3/worker/task", { method: "POST", headers: f.auth(worker) }),
    ).then((res) => order.push(`poll ${res.status}`));
    await Promise.all([submission, poll]);
    expect(order).toEqual(["poll 204", "submission"]);
  });

  test("a submission that fails half-way leaves nothing behind", async () => {
    const f = createFixture();
    const compiled = compiledJob(JOB_STORE_SLICE_ROWS + 10);
    const last = compiled.tasks[compiled.tasks.length - 1];
    if (last) last.dependencies = ["not-a-task-of-this-job"];
    const failed = storeCompiledJob({ db: f.db, broker: f.broker }, compiled, {
      status: "queued",
      workerTagId: null,
      now: f.clock.now(),
    });
    expect(
      await failed.then(
        () => "stored",
        (err: Error) => err.message,
      ),
    ).toContain("is not a task of the job");
    expect(f.db.orm.select().from(jobs).all()).toEqual([]);
    expect(f.db.orm.select().from(tasks).all()).toEqual([]);
    expect(f.eventsOf("/jobs")).toEqual([]);
  });
});

describe("removing a job", () => {
  test("its tasks go in slices, a worker's poll is answered in between, then the job row", async () => {
    const f = (farm = createFarm());
    const worker = f.addWorker();
    // A first poll checks the worker's secret (a slow hash, off the event loop); the measured one
    // below is then as quick as a working farm's polls.
    await f.app.request("/api/v3/worker/task", { method: "POST", headers: f.auth(worker) });
    const job = f.addJob({ status: "paused" });
    f.addTasks(job, 4 * TASK_DELETE_SLICE_ROWS + 1, { status: "paused" });
    const order: string[] = [];
    const removal = removeJobInSlices(f.db, job.id).then(() => order.push("removal"));
    const poll = Promise.resolve(
      f.app.request("/api/v3/worker/task", { method: "POST", headers: f.auth(worker) }),
    ).then((res) => order.push(`poll ${res.status}`));
    await Promise.all([removal, poll]);
    expect(order).toEqual(["poll 204", "removal"]);
    expect(f.db.orm.select().from(jobs).all()).toEqual([]);
    expect(f.db.orm.select().from(tasks).all()).toEqual([]);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });
});

describe("a job-wide status change of more tasks than one slice", () => {
  test("requeueing moves them slice by slice, then the job is queued", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "failed" });
    f.addTasks(job, 2 * JOB_TASKS_SLICE_ROWS + 1, { status: "failed" });
    const after = f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "requeueing", "test"));
    expect(after.status).toBe("requeueing");
    // The first slice is in, the rest follows in transactions of their own.
    const firstSlice = countTasksOfJob(f.db, job.id).of("queued");
    expect(firstSlice).toBeGreaterThan(0);
    expect(firstSlice).toBeLessThanOrEqual(JOB_TASKS_SLICE_ROWS);

    await waitFor("the job to be queued", () => f.job(job).status === "queued");
    expect(countTasksOfJob(f.db, job.id).of("queued")).toBe(2 * JOB_TASKS_SLICE_ROWS + 1);
    expect(f.job(job).activity).toBe('Changed to status "queued": test');
    const statuses = f.jobEvents().map((e) => e.status);
    expect(statuses[0]).toBe("requeueing");
    expect(statuses[statuses.length - 1]).toBe("queued");
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("a new status for the job mid-walk finishes the walk first: no task is left behind", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "failed" });
    f.addTasks(job, 2 * JOB_TASKS_SLICE_ROWS + 1, { status: "failed" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "requeueing", "test"));
    expect(countTasksOfJob(f.db, job.id).of("failed")).toBeGreaterThan(0);
    // What a task's reaction does when a worker reports its task active meanwhile.
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "active", "a task became active"));
    expect(countTasksOfJob(f.db, job.id).of("queued")).toBe(2 * JOB_TASKS_SLICE_ROWS + 1);
    // The continuation scheduled for the walk finds nothing left to do.
    await new Promise((resolve) => setImmediate(resolve));
    expect(f.job(job).status).toBe("active");
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("cancelling stays cancel-requested until the last slice", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "queued" });
    f.addTasks(job, JOB_TASKS_SLICE_ROWS + 1, { status: "queued" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "cancel-requested", "test"));
    expect(f.job(job).status).toBe("cancel-requested");
    expect(countTasksOfJob(f.db, job.id).of("queued")).toBeGreaterThan(0);

    await waitFor("the job to be canceled", () => f.job(job).status === "canceled");
    expect(countTasksOfJob(f.db, job.id).of("canceled")).toBe(JOB_TASKS_SLICE_ROWS + 1);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("a task completing during the walk does not turn the cancelled job completed", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    const worker = f.addWorker();
    f.addTasks(job, JOB_TASKS_SLICE_ROWS, { status: "completed" });
    // Past the first slice: still active when the cancel request comes in.
    const [late] = f.addTasks(job, 1, { status: "active", worker });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "cancel-requested", "test"));
    expect(f.job(job).status).toBe("cancel-requested");
    // Its worker reports it done before the walk reaches it: every task is now completed.
    f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, late as TaskRow, "completed"));
    expect(f.job(job).status).toBe("cancel-requested");

    await waitFor("the job to be canceled", () => f.job(job).status === "canceled");
    expect(f.jobEvents().map((e) => e.status)).not.toContain("completed");
  });

  test("a change that rolls back after its first slice leaves no walk behind", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "queued" });
    f.addTasks(job, JOB_TASKS_SLICE_ROWS + 1, { status: "queued" });
    expect(() =>
      f.run((tx, emit) => {
        f.sm.jobStatusChange(tx, emit, f.job(job), "cancel-requested", "test");
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(f.job(job).status).toBe("queued");
    // A later change of the job does not finish the cancel that never was.
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "pause-requested", "test"));
    expect(countTasksOfJob(f.db, job.id).of("canceled")).toBe(0);
    await waitFor("the job to be paused", () => f.job(job).status === "paused");
    expect(countTasksOfJob(f.db, job.id).of("paused")).toBe(JOB_TASKS_SLICE_ROWS + 1);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("a slice that fails is tried again, and the walk ends", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "queued" });
    f.addTasks(job, JOB_TASKS_SLICE_ROWS + 1, { status: "queued" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, f.job(job), "cancel-requested", "test"));
    // The next slice's writes fail until the trigger is dropped.
    f.sqlite.exec(
      "CREATE TRIGGER break_tasks BEFORE UPDATE ON tasks BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    );
    await waitFor("the slice to fail", () => f.warnings.some((w) => w.includes("disk says no")));
    expect(f.job(job).status).toBe("cancel-requested");
    f.sqlite.exec("DROP TRIGGER break_tasks");
    await waitFor("the job to be canceled", () => f.job(job).status === "canceled", 5 * JOB_TASKS_RETRY_MS);
    expect(countTasksOfJob(f.db, job.id).of("canceled")).toBe(JOB_TASKS_SLICE_ROWS + 1);
    expect(counterDrift(f.sqlite)).toEqual([]);
  });

  test("a job a crash left cancel-requested mid-way is finished by the start-up repair, in slices", async () => {
    const f = createFixture();
    const job = f.addJob({ status: "cancel-requested" });
    f.addTasks(job, JOB_TASKS_SLICE_ROWS, { status: "canceled" });
    f.addTasks(job, 2 * JOB_TASKS_SLICE_ROWS, { status: "queued" });
    expect(f.sm.repairStuckJobs()).toBe(1);
    expect(f.job(job).status).toBe("cancel-requested");
    expect(countTasksOfJob(f.db, job.id).of("queued")).toBeGreaterThan(0);
    await waitFor("the job to be canceled", () => f.job(job).status === "canceled");
    expect(countTasksOfJob(f.db, job.id).of("canceled")).toBe(3 * JOB_TASKS_SLICE_ROWS);
  });
});
