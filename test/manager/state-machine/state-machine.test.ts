// The given/when/then table of state-machines.md §11, one row per case, plus rows pinning
// where Tablao deliberately differs from Flamenco (README items 1, 3 and 7).
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { tasks } from "../../../src/manager/db/schema";
import { ApiError } from "../../../src/manager/errors";
import { touchJob } from "../../../src/manager/state-machine/job-tasks";
import { mayKeepRunning } from "../../../src/manager/state-machine/may-keep-running";
import { requeueReasons } from "../../../src/manager/state-machine/messages";
import { thrownBy } from "../../support/thrown";
import { createFixture, type Fixture } from "./fixture";

interface Row {
  name: string;
  run(f: Fixture): void;
}

const jobEvent = (previous_status: string, status: string, refresh_tasks: boolean) =>
  expect.objectContaining({ previous_status, status, refresh_tasks });

const table: Row[] = [
  {
    name: "#1 job queued, task queued | TSC → active | task active and logged, job active, task event then job event queued→active",
    run(f) {
      const job = f.addJob("queued");
      const task = f.addTask(job, "queued");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active"));
      expect(f.task(task).status).toBe("active");
      expect(f.linesOf(task)).toEqual(["task changed status queued -> active"]);
      expect(f.job(job)).toMatchObject({
        status: "active",
        activity: 'Changed to status "active": task became active',
      });
      expect(f.events.map((e) => e.event)).toEqual(["/task", "/jobs"]);
      expect(f.taskEvents()[0]).toMatchObject({ id: task.uuid, status: "active", previous_status: "queued" });
      expect(f.jobEvents()).toEqual([jobEvent("queued", "active", false)]);
    },
  },
  {
    name: "#2 job save fails | TSC → active | error wraps the save error (Tablao: one transaction, nothing saved or published)",
    run(f) {
      const job = f.addJob("queued");
      const task = f.addTask(job, "queued");
      f.breakJobSaves(job);
      const err = thrownBy(Error, () => f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active")));
      expect(err.message).toContain("updating job after task status change");
      expect(err.message).toContain("disk says no");
      expect(err.cause).toBeInstanceOf(Error);
      expect(f.task(task).status).toBe("queued");
      expect(f.job(job).status).toBe("queued");
      expect(f.events).toEqual([]);
    },
  },
  {
    name: "#3 job active, 3 active tasks of 1 step | t1 completed (1/3) | t1 steps 1, job unchanged",
    run(f) {
      const job = f.addJob("active");
      const [t1] = f.addTasks(job, "active", 3);
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t1, "completed"));
      expect(f.task(t1)).toMatchObject({ status: "completed", stepsCompleted: 1 });
      expect(f.job(job)).toMatchObject({ status: "active", stepsCompleted: 1, stepsTotal: 3 });
      expect(f.jobEvents()).toEqual([]);
    },
  },
  {
    name: "#4 continuing (t1 completed) | t2 soft-failed, then t2 completed (2/3) | no job change either time",
    run(f) {
      const job = f.addJob("active");
      f.addTask(job, "completed");
      const [t2] = f.addTasks(job, "active", 2);
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t2, "soft-failed"));
      expect(f.job(job).status).toBe("active");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, f.task(t2), "completed"));
      expect(f.job(job)).toMatchObject({ status: "active", stepsCompleted: 2 });
      expect(f.jobEvents()).toEqual([]);
      expect(f.linesOf(t2)).toEqual([
        "task changed status active -> soft-failed",
        "task changed status soft-failed -> completed",
      ]);
    },
  },
  {
    name: "#5 continuing (t1, t2 completed) | t3 completed (3/3) | job completed, event active→completed refresh false",
    run(f) {
      const job = f.addJob("active");
      f.addTasks(job, "completed", 2);
      const t3 = f.addTask(job, "active");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t3, "completed"));
      expect(f.job(job)).toMatchObject({
        status: "completed",
        activity: 'Changed to status "completed": all tasks completed',
      });
      expect(f.jobEvents()).toEqual([jobEvent("active", "completed", false)]);
    },
  },
  {
    name: "#6 job queued, 1 of 100 failed | TSC → failed | job active",
    run(f) {
      const job = f.addJob("queued");
      const task = f.addTask(job, "active");
      f.addTasks(job, "queued", 99);
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "failed"));
      expect(f.job(job)).toMatchObject({
        status: "active",
        activity: 'Changed to status "active": task failed, but not enough to fail the job',
      });
      expect(f.jobEvents()).toEqual([jobEvent("queued", "active", false)]);
    },
  },
  {
    name: "#7 job active, 10 of 100 failed | TSC → failed | job failed, active/queued/soft-failed cancelled in bulk, event refresh true",
    run(f) {
      const job = f.addJob("active");
      f.addTasks(job, "failed", 9);
      const task = f.addTask(job, "active");
      const otherActive = f.addTask(job, "active");
      const softFailed = f.addTask(job, "soft-failed");
      const completed = f.addTask(job, "completed");
      const paused = f.addTask(job, "paused");
      const queued = f.addTasks(job, "queued", 86);
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "failed"));
      expect(f.job(job)).toMatchObject({
        status: "failed",
        activity: 'Changed to status "failed": too many tasks failed',
      });
      const cancelled = 'Manager cancelled this task because the job got status "failed".';
      for (const t of [otherActive, softFailed, queued[0], queued[85]]) {
        expect(f.task(t)).toMatchObject({ status: "canceled", activity: cancelled });
      }
      expect(f.task(completed).status).toBe("completed");
      expect(f.task(paused).status).toBe("paused");
      expect(f.jobEvents()).toEqual([jobEvent("active", "failed", true)]);
    },
  },
  {
    name: "#8 job completed, task completed | TSC → queued | all tasks requeued, steps 0, job requeueing→queued, two events refresh true",
    run(f) {
      const job = f.addJob("completed");
      const [t1, t2, t3] = [0, 1, 2].map(() => f.addTask(job, "completed", { stepsTotal: 2 }));
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t1, "queued"));
      const requeued = 'Queued because job transitioned status from "completed" to "requeueing"';
      expect(f.task(t1)).toMatchObject({ status: "queued", stepsCompleted: 0 });
      for (const t of [t2, t3])
        expect(f.task(t)).toMatchObject({ status: "queued", stepsCompleted: 0, activity: requeued });
      expect(f.job(job)).toMatchObject({
        status: "queued",
        activity: 'Changed to status "queued": task was queued',
        stepsCompleted: 0,
        stepsTotal: 6,
      });
      expect(f.taskEvents()[0]).toMatchObject({
        status: "queued",
        previous_status: "completed",
        steps_completed: 0,
      });
      expect(f.jobEvents()).toEqual([
        jobEvent("completed", "requeueing", true),
        jobEvent("requeueing", "queued", true),
      ]);
    },
  },
  {
    name: "#9 job cancel-requested, t1 active, t2 queued | t1 → canceled (1 runnable left) | job unchanged",
    run(f) {
      const job = f.addJob("cancel-requested");
      const t1 = f.addTask(job, "active");
      f.addTask(job, "queued");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t1, "canceled"));
      expect(f.job(job).status).toBe("cancel-requested");
      expect(f.jobEvents()).toEqual([]);
    },
  },
  {
    name: "#10 continuing (t1 canceled) | t2 → canceled (0 runnable) | job canceled, event refresh false",
    run(f) {
      const job = f.addJob("cancel-requested");
      f.addTask(job, "canceled");
      const t2 = f.addTask(job, "queued");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t2, "canceled"));
      expect(f.job(job)).toMatchObject({
        status: "canceled",
        activity: 'Changed to status "canceled": canceled task was last runnable task of job, canceling job',
      });
      expect(f.jobEvents()).toEqual([jobEvent("cancel-requested", "canceled", false)]);
    },
  },
  {
    name: "#11 job cancel-requested, others failed and paused | active task → canceled | job canceled, paused task untouched",
    run(f) {
      const job = f.addJob("cancel-requested");
      f.addTask(job, "failed");
      const paused = f.addTask(job, "paused");
      const active = f.addTask(job, "active");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, active, "canceled"));
      expect(f.job(job).status).toBe("canceled");
      expect(f.task(paused)).toMatchObject({ status: "paused", activity: "" });
    },
  },
  {
    name: "#12 job queued | TSC → unknown status | saved, logged, broadcast; no job change",
    run(f) {
      const job = f.addJob("queued");
      const task = f.addTask(job, "queued");
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "borked"));
      expect(f.task(task).status).toBe("borked");
      expect(f.linesOf(task)).toEqual(["task changed status queued -> borked"]);
      expect(f.taskEvents()).toEqual([
        expect.objectContaining({ status: "borked", previous_status: "queued" }),
      ]);
      expect(f.job(job).status).toBe("queued");
      expect(f.jobEvents()).toEqual([]);
      expect(f.warnings.some((w) => w.includes("borked"))).toBe(true);
    },
  },
  {
    name: "#13 job active (1 of 3 completed) | JSC requeueing | failed/canceled tasks queued, steps recounted, job queued, 2 events refresh true",
    run(f) {
      const job = f.addJob("active");
      const completed = f.addTask(job, "completed");
      const failed = f.addTask(job, "failed", { stepsCompleted: 1 });
      const canceled = f.addTask(job, "canceled");
      f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "requeueing", "requested by test"));
      const requeued = 'Queued because job transitioned status from "active" to "requeueing"';
      for (const t of [failed, canceled])
        expect(f.task(t)).toMatchObject({ status: "queued", activity: requeued, stepsCompleted: 0 });
      expect(f.task(completed)).toMatchObject({ status: "completed", stepsCompleted: 1, activity: "" });
      expect(f.job(job)).toMatchObject({ status: "queued", stepsCompleted: 1, stepsTotal: 3 });
      expect(f.jobEvents()).toEqual([
        jobEvent("active", "requeueing", true),
        jobEvent("requeueing", "queued", true),
      ]);
      // Tablao: the events carry the steps as recounted by the requeue, not the job as loaded.
      for (const e of f.jobEvents()) expect(e).toMatchObject({ steps_completed: 1, steps_total: 3 });
    },
  },
  {
    name: "#14 job completed | JSC requeueing | all tasks queued, job queued, completion check 0/3 keeps it queued",
    run(f) {
      const job = f.addJob("completed");
      const all = f.addTasks(job, "completed", 3);
      f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "requeueing", "requested by test"));
      for (const t of all) expect(f.task(t)).toMatchObject({ status: "queued", stepsCompleted: 0 });
      expect(f.job(job)).toMatchObject({ status: "queued", stepsCompleted: 0 });
      expect(f.jobEvents()).toEqual([
        jobEvent("completed", "requeueing", true),
        jobEvent("requeueing", "queued", true),
      ]);
    },
  },
  {
    name: "#15 job active | JSC cancel-requested | bulk cancel, job canceled, events refresh true then false",
    run(f) {
      const job = f.addJob("active");
      const runnable = [f.addTask(job, "active"), f.addTask(job, "queued"), f.addTask(job, "soft-failed")];
      const completed = f.addTask(job, "completed");
      f.run((tx, emit) =>
        f.sm.jobStatusChange(tx, emit, job, "cancel-requested", "requested from web interface"),
      );
      const cancelled = 'Manager cancelled this task because the job got status "cancel-requested".';
      for (const t of runnable) expect(f.task(t)).toMatchObject({ status: "canceled", activity: cancelled });
      expect(f.task(completed).status).toBe("completed");
      expect(f.job(job)).toMatchObject({
        status: "canceled",
        activity: 'Changed to status "canceled": requested from web interface',
      });
      expect(f.jobEvents()).toEqual([
        jobEvent("active", "cancel-requested", true),
        jobEvent("cancel-requested", "canceled", false),
      ]);
    },
  },
  {
    name: "#16 job queued, tasks queued and completed | JSC pause-requested | queued tasks paused, 0 active → job paused, refresh true then false",
    run(f) {
      const job = f.addJob("queued");
      const queued = f.addTasks(job, "queued", 2);
      const completed = f.addTask(job, "completed");
      f.run((tx, emit) =>
        f.sm.jobStatusChange(tx, emit, job, "pause-requested", "requested from web interface"),
      );
      const paused = 'Manager paused this task because the job got status "pause-requested".';
      for (const t of queued) expect(f.task(t)).toMatchObject({ status: "paused", activity: paused });
      expect(f.task(completed).status).toBe("completed");
      expect(f.job(job).status).toBe("paused");
      expect(f.jobEvents()).toEqual([
        jobEvent("queued", "pause-requested", true),
        jobEvent("pause-requested", "paused", false),
      ]);
    },
  },
  {
    name: "#17 job active, 1 task active | JSC pause-requested | job stays pause-requested, one event refresh true",
    run(f) {
      const job = f.addJob("active");
      const active = f.addTask(job, "active");
      const queued = f.addTask(job, "queued");
      f.run((tx, emit) =>
        f.sm.jobStatusChange(tx, emit, job, "pause-requested", "requested from web interface"),
      );
      expect(f.task(active).status).toBe("active");
      expect(f.task(queued).status).toBe("paused");
      expect(f.job(job).status).toBe("pause-requested");
      expect(f.jobEvents()).toEqual([jobEvent("active", "pause-requested", true)]);
    },
  },
  {
    name: "#18 job pause-requested (active, completed, paused tasks) | JSC cancel-requested | active cancelled, job canceled",
    run(f) {
      const job = f.addJob("pause-requested");
      const active = f.addTask(job, "active");
      const completed = f.addTask(job, "completed");
      const paused = f.addTask(job, "paused");
      f.run((tx, emit) =>
        f.sm.jobStatusChange(tx, emit, job, "cancel-requested", "requested from web interface"),
      );
      expect(f.task(active).status).toBe("canceled");
      expect(f.task(completed).status).toBe("completed");
      expect(f.task(paused).status).toBe("paused");
      expect(f.job(job).status).toBe("canceled");
    },
  },
  {
    name: "#19 task with worker_id | TSC → active | task event carries worker {name, uuid}",
    run(f) {
      const worker = f.addWorker("elvis");
      const job = f.addJob("queued");
      const task = f.addTask(job, "queued", { workerId: worker.id });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active"));
      expect(f.taskEvents()[0]).toMatchObject({ worker: { name: "elvis", uuid: worker.uuid } });
    },
  },
  {
    name: "#20 job stuck in requeueing at start-up | repair | requeued again, job queued; events requeueing→requeueing and requeueing→queued, refresh true",
    run(f) {
      const job = f.addJob("requeueing");
      const failed = f.addTask(job, "failed");
      const canceled = f.addTask(job, "canceled");
      f.addTask(job, "completed");
      expect(f.sm.repairStuckJobs(f.db, f.broker)).toBe(1);
      const requeued = 'Queued because job transitioned status from "requeueing" to "requeueing"';
      for (const t of [failed, canceled])
        expect(f.task(t)).toMatchObject({ status: "queued", activity: requeued });
      expect(f.job(job)).toMatchObject({
        status: "queued",
        activity: 'Reenforcing status "queued": checking stuck jobs',
      });
      expect(f.jobEvents()).toEqual([
        jobEvent("requeueing", "requeueing", true),
        jobEvent("requeueing", "queued", true),
      ]);
    },
  },
  {
    name: "#21 worker has 2 active tasks, job active | return its active tasks, reason 'worker had to test' | each queued, activity, steps 0, two log lines, task event",
    run(f) {
      const worker = f.addWorker("w1");
      const job = f.addJob("active");
      const mine = [0, 1].map(() =>
        f.addTask(job, "active", { workerId: worker.id, stepsTotal: 3, stepsCompleted: 2 }),
      );
      f.addTask(job, "queued");
      const n = f.run((tx, emit) => f.sm.requeueWorkerTasks(tx, emit, worker, "worker had to test"));
      expect(n).toBe(2);
      const activity = "Task was queued by Manager because worker had to test";
      for (const t of mine) {
        expect(f.task(t)).toMatchObject({
          status: "queued",
          activity,
          stepsCompleted: 0,
          workerId: worker.id,
        });
        expect(f.linesOf(t)).toEqual(["task changed status active -> queued", activity]);
      }
      expect(f.taskEvents()).toEqual(
        mine.map((t) =>
          expect.objectContaining({ id: t.uuid, status: "queued", previous_status: "active", activity }),
        ),
      );
      expect(f.job(job).status).toBe("active");
    },
  },
  {
    name: "#22 job pause-requested, worker's task active, other task paused | return its tasks | task paused, job paused ('last task got paused'), event refresh false",
    run(f) {
      const worker = f.addWorker("w1");
      const job = f.addJob("pause-requested");
      const mine = f.addTask(job, "active", { workerId: worker.id });
      f.addTask(job, "paused");
      f.run((tx, emit) => f.sm.requeueWorkerTasks(tx, emit, worker, "worker had to test"));
      expect(f.task(mine)).toMatchObject({
        status: "paused",
        activity: "Task was paused by Manager because worker had to test",
      });
      expect(f.job(job)).toMatchObject({
        status: "paused",
        activity: 'Changed to status "paused": last task got paused',
      });
      expect(f.jobEvents()).toEqual([jobEvent("pause-requested", "paused", false)]);
    },
  },
  {
    name: "#23 task assigned to worker | worker reports completed | TSC completed: all steps done, job steps recomputed, event with worker",
    run(f) {
      const worker = f.addWorker("w1");
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: worker.id, stepsTotal: 4, stepsCompleted: 1 });
      f.addTask(job, "queued", { stepsTotal: 4 });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "completed"));
      expect(f.task(task)).toMatchObject({ status: "completed", stepsCompleted: 4 });
      expect(f.job(job)).toMatchObject({ status: "active", stepsCompleted: 4, stepsTotal: 8 });
      expect(f.taskEvents()).toEqual([
        expect.objectContaining({
          status: "completed",
          previous_status: "active",
          steps_completed: 4,
          worker: { name: "w1", uuid: worker.uuid },
        }),
      ]);
    },
  },
  {
    name: "#24 task 0/3 steps | steps saved 2, then 3 (clamped by the handler) | job steps recomputed as the sum each time",
    run(f) {
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { stepsTotal: 3 });
      f.addTask(job, "queued", { stepsTotal: 3 });
      for (const steps of [2, 3]) {
        const saved = f.run((tx) => {
          tx.update(tasks).set({ stepsCompleted: steps }).where(eq(tasks.id, task.id)).run();
          return touchJob(tx, job.id, f.clock.now());
        });
        expect(saved).toMatchObject({ stepsCompleted: steps, stepsTotal: 6 });
        expect(f.job(job).stepsCompleted).toBe(steps);
      }
    },
  },
  {
    name: "#25 soft-fail count 3, 2 untried eligible workers | worker reports failed (1st) | soft-failed, log names 1 worker and 2 more failures",
    run(f) {
      const [w1] = ["w1", "w2", "w3"].map((n) => f.addWorker(n));
      const job = f.addJob("queued");
      const task = f.addTask(job, "active", { workerId: w1.id });
      // As the task-update flow does: the worker's activity is saved before the failure is handled.
      f.run((tx, emit) => {
        tx.update(tasks).set({ activity: "Failed: blender crashed" }).where(eq(tasks.id, task.id)).run();
        return f.sm.onTaskFailed(tx, emit, task, w1);
      });
      expect(f.task(task)).toMatchObject({ status: "soft-failed", activity: "Failed: blender crashed" });
      expect(f.linesOf(task)).toEqual([
        "Task failed by 1 worker, Manager will mark it as soft failure. 2 more failures will cause hard failure.",
        "task changed status active -> soft-failed",
      ]);
      expect(f.failuresOf(task)).toEqual([w1.id]);
      expect(f.job(job)).toMatchObject({
        status: "active",
        activity: 'Changed to status "active": task became soft-failed',
      });
    },
  },
  {
    name: "#26 task already failed by 2 others, 3rd worker fails it | report failed | hard failed, log 'Task failed by 3 workers, …hard failure'",
    run(f) {
      const [w1, w2, w3] = ["w1", "w2", "w3", "w4"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 19);
      f.addFailure(task, w2);
      f.addFailure(task, w3);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.linesOf(task)).toEqual([
        "Task failed by 3 workers, Manager will mark it as hard failure",
        "task changed status active -> failed",
      ]);
      expect(f.job(job).status).toBe("active");
    },
  },
  {
    name: "#27 blocklist threshold 3, worker has 2 prior failures of the type, 2 workers left | report failed | blocklisted, its failed tasks requeued, task soft-failed",
    run(f) {
      const [w1] = ["w1", "w2", "w3"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      const hardFailed = f.addTask(job, "failed", { workerId: w1.id });
      const softFailed = f.addTask(job, "soft-failed", { workerId: w1.id });
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 20);
      f.addFailure(hardFailed, w1);
      f.addFailure(softFailed, w1);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.blocksOf(job)).toEqual([{ workerId: w1.id, taskType: "misc" }]);
      const activity = 'Task was queued by Manager because worker w1 was blocked from tasks of type "misc"';
      expect(f.task(hardFailed)).toMatchObject({ status: "queued", activity });
      expect(f.linesOf(hardFailed)).toEqual(["task changed status failed -> queued", activity]);
      expect(f.task(softFailed).status).toBe("soft-failed");
      expect(f.task(task).status).toBe("soft-failed");
    },
  },
  {
    name: "#28 same, but no workers left after blocking | report failed | catastrophic log, task failed, job failed ('no more workers left…'), no requeue",
    run(f) {
      const [w1, w2] = ["w1", "w2"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      f.addBlock(job, w2);
      const hardFailed = f.addTask(job, "failed", { workerId: w1.id });
      const softFailed = f.addTask(job, "soft-failed", { workerId: w1.id });
      const task = f.addTask(job, "active", { workerId: w1.id });
      const queued = f.addTasks(job, "queued", 30);
      f.addFailure(hardFailed, w1);
      f.addFailure(softFailed, w1);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.linesOf(task)).toEqual([
        `Task failed by worker w1 (${w1.uuid}), Manager will fail the entire job as there are no more workers left for tasks of type "misc".`,
        "task changed status active -> failed",
      ]);
      expect(f.task(task).status).toBe("failed");
      expect(f.task(hardFailed).status).toBe("failed");
      expect(f.job(job)).toMatchObject({
        status: "failed",
        activity: 'Changed to status "failed": no more workers left to run tasks of type "misc"',
      });
      expect(f.task(queued[0]).status).toBe("canceled");
      expect(f.jobEvents()).toEqual([jobEvent("active", "failed", true)]);
    },
  },
  {
    name: "#29 only remaining worker already failed this task | report failed | catastrophic: task failed, job failed",
    run(f) {
      const [w1, w2] = ["w1", "w2"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 30);
      f.addFailure(task, w2);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.linesOf(task)[0]).toStartWith(
        `Task failed by worker w1 (${w1.uuid}), Manager will fail the entire job`,
      );
      expect(f.job(job).activity).toBe(
        'Changed to status "failed": no more workers left to run tasks of type "misc"',
      );
    },
  },
  {
    name: "#30 only the reporting worker is eligible | first failed | catastrophic: task failed, job failed",
    run(f) {
      const w1 = f.addWorker("w1");
      f.addWorker("renders-only", { types: "blender" });
      const job = f.addJob("queued");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 30);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.job(job).activity).toBe(
        'Changed to status "failed": no more workers left to run tasks of type "misc"',
      );
    },
  },
  {
    name: "#31 unknown job | setJobStatus | 404 'no such job'",
    run(f) {
      const err = thrownBy(ApiError, () =>
        f.sm.setJobStatus(f.db, f.broker, crypto.randomUUID(), "queued", "why not"),
      );
      expect(err).toMatchObject({ status: 404, message: "no such job" });
    },
  },
  {
    name: "#32 job active | setJobStatus cancel-requested | JSC with the human's reason, failure lists and blocklist kept",
    run(f) {
      const w1 = f.addWorker("w1");
      const job = f.addJob("active");
      const task = f.addTask(job, "active");
      f.addFailure(task, w1);
      f.addBlock(job, w1);
      const saved = f.sm.setJobStatus(
        f.db,
        f.broker,
        job.uuid,
        "cancel-requested",
        "requested from web interface",
      );
      expect(saved).toMatchObject({
        status: "canceled",
        activity: 'Changed to status "canceled": requested from web interface',
      });
      expect(f.job(job).status).toBe("canceled");
      expect(f.failuresOf(task)).toEqual([w1.id]);
      expect(f.blocksOf(job)).toHaveLength(1);
      expect(f.jobEvents()).toEqual([
        jobEvent("active", "cancel-requested", true),
        jobEvent("cancel-requested", "canceled", false),
      ]);
    },
  },
  {
    name: "#33 job failed | setJobStatus requeueing | JSC, failure lists of its tasks cleared, blocklist cleared",
    run(f) {
      const w1 = f.addWorker("w1");
      const job = f.addJob("failed");
      const task = f.addTask(job, "failed");
      const other = f.addJob("failed");
      const otherTask = f.addTask(other, "failed");
      f.addFailure(task, w1);
      f.addFailure(otherTask, w1);
      f.addBlock(job, w1);
      f.addBlock(other, w1);
      f.sm.setJobStatus(f.db, f.broker, job.uuid, "requeueing", "requested from web interface");
      expect(f.job(job).status).toBe("queued");
      expect(f.task(task).status).toBe("queued");
      expect(f.failuresOf(task)).toEqual([]);
      expect(f.blocksOf(job)).toEqual([]);
      expect(f.failuresOf(otherTask)).toEqual([w1.id]);
      expect(f.blocksOf(other)).toHaveLength(1);
    },
  },
  {
    name: "#34 task failed | setTaskStatus queued | reason saved as activity, TSC, the task's failure list cleared",
    run(f) {
      const w1 = f.addWorker("w1");
      const job = f.addJob("active");
      const task = f.addTask(job, "failed");
      f.addTasks(job, "queued", 20);
      f.addFailure(task, w1);
      const saved = f.sm.setTaskStatus(f.db, f.broker, task.uuid, "queued", "try again");
      expect(saved).toMatchObject({ status: "queued", activity: "try again" });
      expect(f.task(task)).toMatchObject({ status: "queued", activity: "try again" });
      expect(f.linesOf(task)).toEqual(["task changed status failed -> queued"]);
      expect(f.taskEvents()).toEqual([
        expect.objectContaining({ activity: "try again", previous_status: "failed" }),
      ]);
      expect(f.failuresOf(task)).toEqual([]);
    },
  },
  {
    name: "#35 worker awake | sign-off | its tasks returned ('worker signed off')",
    run(f) {
      const w1 = f.addWorker("w1");
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.run((tx, emit) => f.sm.requeueWorkerTasks(tx, emit, w1, requeueReasons.signedOff));
      expect(f.task(task)).toMatchObject({
        status: "queued",
        activity: "Task was queued by Manager because worker signed off",
      });
    },
  },
  {
    name: "#36 worker awake | state-changed asleep | tasks returned with \"worker <name> (<uuid>) changed status to 'asleep'\"",
    run(f) {
      const w1 = f.addWorker("w1");
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.run((tx, emit) => f.sm.requeueWorkerTasks(tx, emit, w1, requeueReasons.changedStatus(w1, "asleep")));
      expect(f.task(task).activity).toBe(
        `Task was queued by Manager because worker w1 (${w1.uuid}) changed status to 'asleep'`,
      );
    },
  },
  {
    name: "#37 task canceled but assigned | may-i-run | false, 'task is in non-runnable status \"canceled\"'",
    run(f) {
      const w1 = f.addWorker("w1");
      const task = f.addTask(f.addJob("canceled"), "canceled", { workerId: w1.id });
      expect(mayKeepRunning(w1, task)).toEqual({
        mayKeepRunning: false,
        reason: 'task is in non-runnable status "canceled"',
        statusChangeRequested: false,
      });
    },
  },
  {
    name: "#38 two tasks untouched 1 h (one unassigned) | checker round | both failed with timeout activity, log '…untouched since <time>'",
    run(f) {
      const w1 = f.addWorker("w1");
      const touched = new Date(f.clock.now().getTime() - 3_600_000);
      const jobA = f.addJob("active");
      const assigned = f.addTask(jobA, "active", { workerId: w1.id, lastTouchedAt: touched });
      f.addTasks(jobA, "queued", 20);
      const jobB = f.addJob("active");
      const unassigned = f.addTask(jobB, "active", { lastTouchedAt: touched });
      f.addTasks(jobB, "queued", 20);
      f.run((tx, emit) => {
        f.sm.timeOutTask(tx, emit, assigned, w1);
        f.sm.timeOutTask(tx, emit, unassigned, null);
      });
      expect(f.task(assigned)).toMatchObject({
        status: "failed",
        activity: `Task timed out on worker w1 (${w1.uuid})`,
      });
      expect(f.task(unassigned)).toMatchObject({
        status: "failed",
        activity: "Task timed out on worker -unassigned-",
      });
      expect(f.linesOf(assigned)).toEqual([
        "task changed status active -> failed",
        `Task timed out. It was assigned to worker w1 (${w1.uuid}), but untouched since 2026-01-05T09:00:00Z`,
      ]);
      expect(f.linesOf(unassigned)[1]).toBe(
        "Task timed out. It was assigned to worker -unassigned-, but untouched since 2026-01-05T09:00:00Z",
      );
      expect(f.failuresOf(assigned)).toEqual([]);
    },
  },
  {
    name: "#39 worker asleep, not seen 1 h | checker round | its tasks returned ('worker timed out')",
    run(f) {
      const w1 = f.addWorker("w1", { status: "asleep" });
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.run((tx, emit) => f.sm.requeueWorkerTasks(tx, emit, w1, requeueReasons.timedOut));
      expect(f.task(task)).toMatchObject({
        status: "queued",
        activity: "Task was queued by Manager because worker timed out",
      });
    },
  },
];

const differences: Row[] = [
  {
    name: "D1 blocklist threshold 3 counts exactly: a worker's 2nd failed task of a type does not block it (Flamenco blocks one early)",
    run(f) {
      const [w1] = ["w1", "w2", "w3"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      const earlier = f.addTask(job, "failed", { workerId: w1.id });
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 20);
      f.addFailure(earlier, w1);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.blocksOf(job)).toEqual([]);
      expect(f.task(earlier).status).toBe("failed");
      expect(f.task(task).status).toBe("soft-failed");
    },
  },
  {
    name: "D1 blocklist threshold 2: the 2nd failed task of the type blocks the worker",
    run(f) {
      f.thresholds.blocklistThreshold = 2;
      const [w1] = ["w1", "w2", "w3"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      const earlier = f.addTask(job, "failed", { workerId: w1.id });
      const otherType = f.addTask(job, "failed", { workerId: w1.id, type: "blender" });
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 20);
      f.addFailure(earlier, w1);
      f.addFailure(otherType, w1);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.blocksOf(job)).toEqual([{ workerId: w1.id, taskType: "misc" }]);
      expect(f.task(earlier).status).toBe("queued");
      // Returned by blocklisting is everything the worker hard-failed in the job, as in Flamenco.
      expect(f.task(otherType).status).toBe("queued");
    },
  },
  {
    name: "D1 one untried eligible worker left: the task soft-fails and the job keeps running (Flamenco fails the job)",
    run(f) {
      const [w1] = ["w1", "w2"].map((n) => f.addWorker(n));
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 20);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("soft-failed");
      expect(f.job(job).status).toBe("active");
      expect(f.linesOf(task)[0]).toBe(
        "Task failed by 1 worker, Manager will mark it as soft failure. 2 more failures will cause hard failure.",
      );
    },
  },
  {
    name: "D1 workers outside the job's tag, without the task type or blocklisted are not untried workers: the job fails",
    run(f) {
      const tag = f.addTag("gpu");
      const w1 = f.addWorker("w1", { tagIds: [tag] });
      f.addWorker("untagged");
      f.addWorker("tagged-no-misc", { tagIds: [tag], types: "blender" });
      const blocked = f.addWorker("tagged-blocked", { tagIds: [tag] });
      const job = f.addJob("active", { workerTagId: tag });
      f.addBlock(job, blocked);
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.addTasks(job, "queued", 20);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.job(job).status).toBe("failed");
    },
  },
  {
    name: "D1 a tag member that supports the type is an untried worker, whatever its status",
    run(f) {
      const tag = f.addTag("gpu");
      const w1 = f.addWorker("w1", { tagIds: [tag] });
      f.addWorker("sleeping-member", { tagIds: [tag], status: "asleep" });
      const job = f.addJob("active", { workerTagId: tag });
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("soft-failed");
    },
  },
  {
    name: "D3 events carry the values after the save: fresh updated and job steps",
    run(f) {
      const job = f.addJob("active");
      f.addTask(job, "completed");
      const task = f.addTask(job, "active", { stepsTotal: 5, stepsCompleted: 2 });
      f.clock.advance(60_000);
      const now = f.clock.now().toISOString();
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "completed"));
      expect(f.taskEvents()).toEqual([
        expect.objectContaining({ updated: now, steps_completed: 5, steps_total: 5 }),
      ]);
      expect(f.jobEvents()).toEqual([
        expect.objectContaining({ status: "completed", updated: now, steps_completed: 6, steps_total: 6 }),
      ]);
      expect(f.job(job).updatedAt.toISOString()).toBe(now);
    },
  },
  {
    name: "D7 a timed-out task keeps its activity in the database and the event",
    run(f) {
      const w1 = f.addWorker("w1");
      const job = f.addJob("active");
      const task = f.addTask(job, "active", { workerId: w1.id });
      f.run((tx, emit) => f.sm.timeOutTask(tx, emit, task, w1));
      const activity = `Task timed out on worker w1 (${w1.uuid})`;
      expect(f.task(task).activity).toBe(activity);
      expect(f.taskEvents()[0]).toMatchObject({ status: "failed", activity });
      expect(f.linesOf(task)[1]).toEndWith("but untouched since forever");
    },
  },
];

describe("state machine behaviour pinned by Flamenco's tests (§11)", () => {
  for (const row of table) test(row.name, () => row.run(createFixture()));
});

describe("where Tablao deliberately differs", () => {
  for (const row of differences) test(row.name, () => row.run(createFixture()));
});
