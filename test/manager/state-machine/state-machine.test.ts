// Given/when/then cases from Flamenco's own state-machine tests, one row per case, plus rows
// pinning where Tablao deliberately differs from Flamenco (failure thresholds, event values after
// the save, a timed-out task keeping its activity; see docs/differences-from-flamenco.md).
import { describe, expect, test } from "bun:test";
import { containing } from "../../support/matchers";
import { eq } from "drizzle-orm";
import { tasks } from "../../../src/manager/db/schema";
import type { TaskStatus } from "../../../src/shared/statuses";
import { ApiError } from "../../../src/manager/errors";
import { touchJob } from "../../../src/manager/db/queries/job-tasks";
import { mayKeepRunning } from "../../../src/manager/state-machine/may-keep-running";
import { requeueReasons } from "../../../src/manager/state-machine/messages";
import { thrownBy } from "../../support/thrown";
import { createFixture, type Fixture } from "./fixture";

interface Row {
  name: string;
  run(f: Fixture): void;
}

const jobEvent = (previous_status: string, status: string, refresh_tasks: boolean) =>
  containing({ previous_status, status, refresh_tasks });

const table: Row[] = [
  {
    name: "#1 job queued, task queued | TSC → active | task active and logged, job active, task event then job event queued→active",
    run(f) {
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "queued" });
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
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "queued" });
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
      const job = f.addJob({ status: "active" });
      const t1 = f.addTask(job, { status: "active" });
      f.addTasks(job, 2, { status: "active" });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t1, "completed"));
      expect(f.task(t1)).toMatchObject({ status: "completed", stepsCompleted: 1 });
      expect(f.job(job)).toMatchObject({ status: "active", stepsCompleted: 1, stepsTotal: 3 });
      expect(f.jobEvents()).toEqual([]);
    },
  },
  {
    name: "#4 continuing (t1 completed) | t2 soft-failed, then t2 completed (2/3) | no job change either time",
    run(f) {
      const job = f.addJob({ status: "active" });
      f.addTask(job, { status: "completed" });
      const t2 = f.addTask(job, { status: "active" });
      f.addTask(job, { status: "active" });
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
      const job = f.addJob({ status: "active" });
      f.addTasks(job, 2, { status: "completed" });
      const t3 = f.addTask(job, { status: "active" });
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
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "active" });
      f.addTasks(job, 99, { status: "queued" });
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
      const job = f.addJob({ status: "active" });
      f.addTasks(job, 9, { status: "failed" });
      const task = f.addTask(job, { status: "active" });
      const otherActive = f.addTask(job, { status: "active" });
      const softFailed = f.addTask(job, { status: "soft-failed" });
      const completed = f.addTask(job, { status: "completed" });
      const paused = f.addTask(job, { status: "paused" });
      const queued = f.addTasks(job, 86, { status: "queued" });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "failed"));
      expect(f.job(job)).toMatchObject({
        status: "failed",
        activity: 'Changed to status "failed": too many tasks failed',
      });
      const cancelled = 'Manager cancelled this task because the job got status "failed".';
      for (const t of [otherActive, softFailed, queued.at(0), queued.at(85)]) {
        if (!t) throw new Error("fewer queued tasks than made");
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
      const job = f.addJob({ status: "completed" });
      const t1 = f.addTask(job, { status: "completed", stepsTotal: 2 });
      const others = f.addTasks(job, 2, { status: "completed", stepsTotal: 2 });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t1, "queued"));
      const requeued = 'Queued because job transitioned status from "completed" to "requeueing"';
      expect(f.task(t1)).toMatchObject({ status: "queued", stepsCompleted: 0 });
      for (const t of others)
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
      const job = f.addJob({ status: "cancel-requested" });
      const t1 = f.addTask(job, { status: "active" });
      f.addTask(job, { status: "queued" });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, t1, "canceled"));
      expect(f.job(job).status).toBe("cancel-requested");
      expect(f.jobEvents()).toEqual([]);
    },
  },
  {
    name: "#10 continuing (t1 canceled) | t2 → canceled (0 runnable) | job canceled, event refresh false",
    run(f) {
      const job = f.addJob({ status: "cancel-requested" });
      f.addTask(job, { status: "canceled" });
      const t2 = f.addTask(job, { status: "queued" });
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
      const job = f.addJob({ status: "cancel-requested" });
      f.addTask(job, { status: "failed" });
      const paused = f.addTask(job, { status: "paused" });
      const active = f.addTask(job, { status: "active" });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, active, "canceled"));
      expect(f.job(job).status).toBe("canceled");
      expect(f.task(paused)).toMatchObject({ status: "paused", activity: "" });
    },
  },
  {
    name: "#12 job queued | TSC → unknown status | saved, logged, broadcast; no job change",
    run(f) {
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "queued" });
      // Not a TaskStatus: what a corrupt row or a newer Manager could leave behind.
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "borked" as TaskStatus));
      expect(f.task(task).status).toBe("borked" as TaskStatus);
      expect(f.linesOf(task)).toEqual(["task changed status queued -> borked"]);
      expect(f.taskEvents()).toEqual([containing({ status: "borked", previous_status: "queued" })]);
      expect(f.job(job).status).toBe("queued");
      expect(f.jobEvents()).toEqual([]);
      expect(f.warnings.some((w) => w.includes("borked"))).toBe(true);
    },
  },
  {
    name: "#13 job active (1 of 3 completed) | JSC requeueing | failed/canceled tasks queued, steps recounted, job queued, 2 events refresh true",
    run(f) {
      const job = f.addJob({ status: "active" });
      const completed = f.addTask(job, { status: "completed" });
      const failed = f.addTask(job, { status: "failed", stepsCompleted: 1 });
      const canceled = f.addTask(job, { status: "canceled" });
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
      const job = f.addJob({ status: "completed" });
      const all = f.addTasks(job, 3, { status: "completed" });
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
      const job = f.addJob({ status: "active" });
      const runnable = [
        f.addTask(job, { status: "active" }),
        f.addTask(job, { status: "queued" }),
        f.addTask(job, { status: "soft-failed" }),
      ];
      const completed = f.addTask(job, { status: "completed" });
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
      const job = f.addJob({ status: "queued" });
      const queued = f.addTasks(job, 2, { status: "queued" });
      const completed = f.addTask(job, { status: "completed" });
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
      const job = f.addJob({ status: "active" });
      const active = f.addTask(job, { status: "active" });
      const queued = f.addTask(job, { status: "queued" });
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
      const job = f.addJob({ status: "pause-requested" });
      const active = f.addTask(job, { status: "active" });
      const completed = f.addTask(job, { status: "completed" });
      const paused = f.addTask(job, { status: "paused" });
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
      const worker = f.addWorker({ name: "elvis" });
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "queued", worker });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active"));
      expect(f.taskEvents()[0]).toMatchObject({ worker: { name: "elvis", uuid: worker.uuid } });
    },
  },
  {
    name: "#20 job stuck in requeueing at start-up | repair | requeued again, job queued; events requeueing→requeueing and requeueing→queued, refresh true",
    run(f) {
      const job = f.addJob({ status: "requeueing" });
      const failed = f.addTask(job, { status: "failed" });
      const canceled = f.addTask(job, { status: "canceled" });
      f.addTask(job, { status: "completed" });
      expect(f.sm.repairStuckJobs()).toBe(1);
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
      const worker = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const mine = [0, 1].map(() =>
        f.addTask(job, { status: "active", worker, stepsTotal: 3, stepsCompleted: 2 }),
      );
      f.addTask(job, { status: "queued" });
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
        mine.map((t) => containing({ id: t.uuid, status: "queued", previous_status: "active", activity })),
      );
      expect(f.job(job).status).toBe("active");
    },
  },
  {
    name: "#22 job pause-requested, worker's task active, other task paused | return its tasks | task paused, job paused ('last task got paused'), event refresh false",
    run(f) {
      const worker = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "pause-requested" });
      const mine = f.addTask(job, { status: "active", worker });
      f.addTask(job, { status: "paused" });
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
      const worker = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker, stepsTotal: 4, stepsCompleted: 1 });
      f.addTask(job, { status: "queued", stepsTotal: 4 });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "completed"));
      expect(f.task(task)).toMatchObject({ status: "completed", stepsCompleted: 4 });
      expect(f.job(job)).toMatchObject({ status: "active", stepsCompleted: 4, stepsTotal: 8 });
      expect(f.taskEvents()).toEqual([
        containing({
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
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", stepsTotal: 3 });
      f.addTask(job, { status: "queued", stepsTotal: 3 });
      for (const steps of [2, 3]) {
        const saved = f.run((tx) => {
          tx.orm.update(tasks).set({ stepsCompleted: steps }).where(eq(tasks.id, task.id)).run();
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
      const [w1] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" }), f.addWorker({ name: "w3" })];
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "active", worker: w1 });
      // As the task-update flow does: the worker's activity is saved before the failure is handled.
      f.run((tx, emit) => {
        tx.orm.update(tasks).set({ activity: "Failed: blender crashed" }).where(eq(tasks.id, task.id)).run();
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
    name: "#26 task already failed by 2 others, 3rd worker fails it | report failed | hard failed; its activity and log give the reason (Tablao's text)",
    run(f) {
      const [w1, w2, w3] = [
        f.addWorker({ name: "w1" }),
        f.addWorker({ name: "w2" }),
        f.addWorker({ name: "w3" }),
        f.addWorker({ name: "w4" }),
      ];
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1, activity: "Failed: exit status 1" });
      f.addTasks(job, 19, { status: "queued" });
      f.addFailure(task, w2);
      f.addFailure(task, w3);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      const reason = `task "${task.name}" failed on 3 workers, last on w1: Failed: exit status 1`;
      expect(f.task(task)).toMatchObject({ status: "failed", activity: reason });
      expect(f.linesOf(task)).toEqual([reason, "task changed status active -> failed"]);
      expect(f.taskEvents().at(-1)).toMatchObject({ status: "failed", activity: reason });
      expect(f.job(job).status).toBe("active");
    },
  },
  {
    name: "#26b hard failure that reaches the 10 % rule | report failed | the job fails with the task's reason, not 'too many tasks failed'",
    run(f) {
      const [w1, w2, w3] = ["w1", "w2", "w3", "w4"].map((name) => f.addWorker({ name }));
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1!, activity: "Failed: out of memory" });
      f.addTasks(job, 4, { status: "queued" });
      f.addFailure(task, w2!);
      f.addFailure(task, w3!);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1!));
      const reason = `task "${task.name}" failed on 3 workers, last on w1: Failed: out of memory`;
      expect(f.task(task)).toMatchObject({ status: "failed", activity: reason });
      expect(f.linesOf(task)[0]).toBe(reason);
      expect(f.job(job)).toMatchObject({
        status: "failed",
        activity: `Changed to status "failed": ${reason}`,
      });
    },
  },
  {
    name: "#27 blocklist threshold 3, worker has 2 prior failures of the type, 2 workers left | report failed | blocklisted, its failed tasks requeued, task soft-failed",
    run(f) {
      const [w1] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" }), f.addWorker({ name: "w3" })];
      const job = f.addJob({ status: "active" });
      const hardFailed = f.addTask(job, { status: "failed", worker: w1, type: "misc" });
      const softFailed = f.addTask(job, { status: "soft-failed", worker: w1, type: "misc" });
      const task = f.addTask(job, { status: "active", worker: w1, type: "misc" });
      f.addTasks(job, 20, { status: "queued" });
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
      const [w1, w2] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" })];
      const job = f.addJob({ status: "active" });
      f.addBlock(job, w2, { taskType: "misc" });
      const hardFailed = f.addTask(job, { status: "failed", worker: w1, type: "misc" });
      const softFailed = f.addTask(job, { status: "soft-failed", worker: w1, type: "misc" });
      const task = f.addTask(job, { status: "active", worker: w1, type: "misc", activity: "Failed: no GPU" });
      const queued = f.addTask(job, { status: "queued" });
      f.addTasks(job, 29, { status: "queued" });
      f.addFailure(hardFailed, w1);
      f.addFailure(softFailed, w1);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      const reason =
        'no workers left that may run "misc" tasks of this job (the others are blocklisted or failed this task); ' +
        `task "${task.name}" last failed on w1: Failed: no GPU`;
      expect(f.linesOf(task)).toEqual([reason, "task changed status active -> failed"]);
      expect(f.task(task)).toMatchObject({ status: "failed", activity: reason });
      expect(f.task(hardFailed).status).toBe("failed");
      expect(f.job(job)).toMatchObject({
        status: "failed",
        activity: `Changed to status "failed": ${reason}`,
      });
      expect(f.task(queued).status).toBe("canceled");
      expect(f.jobEvents()).toEqual([jobEvent("active", "failed", true)]);
    },
  },
  {
    name: "#29 only remaining worker already failed this task | report failed | catastrophic: task failed, job failed",
    run(f) {
      const [w1, w2] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" })];
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1, type: "misc" });
      f.addTasks(job, 30, { status: "queued" });
      f.addFailure(task, w2);
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.linesOf(task)[0]).toStartWith('no workers left that may run "misc" tasks of this job');
      expect(f.job(job).activity).toBe(`Changed to status "failed": ${f.linesOf(task)[0]}`);
    },
  },
  {
    name: "#30 only the reporting worker is eligible | first failed | catastrophic: task failed, job failed",
    run(f) {
      const w1 = f.addWorker({ name: "w1" });
      f.addWorker({ name: "renders-only", taskTypes: ["blender"] });
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "active", worker: w1, type: "misc" });
      f.addTasks(job, 30, { status: "queued" });
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.job(job).activity).toBe(
        'Changed to status "failed": no workers left that may run "misc" tasks of this job ' +
          `(the others are blocklisted or failed this task); task "${task.name}" last failed on w1: no reason given`,
      );
    },
  },
  {
    name: "#31 unknown job | setJobStatus | 404 'no such job'",
    run(f) {
      const err = thrownBy(ApiError, () => f.sm.setJobStatus(crypto.randomUUID(), "queued", "why not"));
      expect(err).toMatchObject({ status: 404, message: "no such job" });
    },
  },
  {
    name: "#32 job active | setJobStatus cancel-requested | JSC with the human's reason, failure lists and blocklist kept",
    run(f) {
      const w1 = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active" });
      f.addFailure(task, w1);
      f.addBlock(job, w1);
      const saved = f.sm.setJobStatus(job.uuid, "cancel-requested", "requested from web interface");
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
      const w1 = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "failed" });
      const task = f.addTask(job, { status: "failed" });
      const other = f.addJob({ status: "failed" });
      const otherTask = f.addTask(other, { status: "failed" });
      f.addFailure(task, w1);
      f.addFailure(otherTask, w1);
      f.addBlock(job, w1);
      f.addBlock(other, w1);
      f.sm.setJobStatus(job.uuid, "requeueing", "requested from web interface");
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
      const w1 = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "failed" });
      f.addTasks(job, 20, { status: "queued" });
      f.addFailure(task, w1);
      const saved = f.sm.setTaskStatus(task.uuid, "queued", "try again");
      expect(saved).toMatchObject({ status: "queued", activity: "try again" });
      expect(f.task(task)).toMatchObject({ status: "queued", activity: "try again" });
      expect(f.linesOf(task)).toEqual(["task changed status failed -> queued"]);
      expect(f.taskEvents()).toEqual([containing({ activity: "try again", previous_status: "failed" })]);
      expect(f.failuresOf(task)).toEqual([]);
    },
  },
  {
    name: "#35 worker awake | sign-off | its tasks returned ('worker signed off')",
    run(f) {
      const w1 = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1 });
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
      const w1 = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1 });
      f.run((tx, emit) => f.sm.requeueWorkerTasks(tx, emit, w1, requeueReasons.changedStatus(w1, "asleep")));
      expect(f.task(task).activity).toBe(
        `Task was queued by Manager because worker w1 (${w1.uuid}) changed status to 'asleep'`,
      );
    },
  },
  {
    name: "#37 task canceled but assigned | may-i-run | false, 'task is in non-runnable status \"canceled\"'",
    run(f) {
      const w1 = f.addWorker({ name: "w1" });
      const task = f.addTask(f.addJob({ status: "canceled" }), { status: "canceled", worker: w1 });
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
      const w1 = f.addWorker({ name: "w1" });
      const touched = new Date(f.clock.now().getTime() - 3_600_000);
      const jobA = f.addJob({ status: "active" });
      const assigned = f.addTask(jobA, { status: "active", worker: w1, lastTouchedAt: touched });
      f.addTasks(jobA, 20, { status: "queued" });
      const jobB = f.addJob({ status: "active" });
      const unassigned = f.addTask(jobB, { status: "active", lastTouchedAt: touched });
      f.addTasks(jobB, 20, { status: "queued" });
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
      const w1 = f.addWorker({ name: "w1", status: "asleep" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1 });
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
      const [w1] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" }), f.addWorker({ name: "w3" })];
      const job = f.addJob({ status: "active" });
      const earlier = f.addTask(job, { status: "failed", worker: w1 });
      const task = f.addTask(job, { status: "active", worker: w1 });
      f.addTasks(job, 20, { status: "queued" });
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
      const [w1] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" }), f.addWorker({ name: "w3" })];
      const job = f.addJob({ status: "active" });
      const earlier = f.addTask(job, { status: "failed", worker: w1, type: "misc" });
      const otherType = f.addTask(job, { status: "failed", worker: w1, type: "blender" });
      const task = f.addTask(job, { status: "active", worker: w1, type: "misc" });
      f.addTasks(job, 20, { status: "queued" });
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
      const [w1] = [f.addWorker({ name: "w1" }), f.addWorker({ name: "w2" })];
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1 });
      f.addTasks(job, 20, { status: "queued" });
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
      const tag = f.addTag({ name: "gpu" });
      const w1 = f.addWorker({ name: "w1", tags: [tag] });
      f.addWorker({ name: "untagged" });
      f.addWorker({ name: "tagged-no-misc", tags: [tag], taskTypes: ["blender"] });
      const blocked = f.addWorker({ name: "tagged-blocked", tags: [tag] });
      const job = f.addJob({ status: "active", tag });
      f.addBlock(job, blocked, { taskType: "misc" });
      const task = f.addTask(job, { status: "active", worker: w1, type: "misc" });
      f.addTasks(job, 20, { status: "queued" });
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("failed");
      expect(f.job(job).status).toBe("failed");
    },
  },
  {
    name: "D1 a tag member that supports the type is an untried worker, whatever its status",
    run(f) {
      const tag = f.addTag({ name: "gpu" });
      const w1 = f.addWorker({ name: "w1", tags: [tag] });
      f.addWorker({ name: "sleeping-member", tags: [tag], status: "asleep" });
      const job = f.addJob({ status: "active", tag });
      const task = f.addTask(job, { status: "active", worker: w1 });
      f.run((tx, emit) => f.sm.onTaskFailed(tx, emit, task, w1));
      expect(f.task(task).status).toBe("soft-failed");
    },
  },
  {
    name: "D3 events carry the values after the save: fresh updated and job steps",
    run(f) {
      const job = f.addJob({ status: "active" });
      f.addTask(job, { status: "completed" });
      const task = f.addTask(job, { status: "active", stepsTotal: 5, stepsCompleted: 2 });
      f.clock.advance(60_000);
      const now = f.clock.now().toISOString();
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "completed"));
      expect(f.taskEvents()).toEqual([containing({ updated: now, steps_completed: 5, steps_total: 5 })]);
      expect(f.jobEvents()).toEqual([
        containing({ status: "completed", updated: now, steps_completed: 6, steps_total: 6 }),
      ]);
      expect(f.job(job).updatedAt.toISOString()).toBe(now);
    },
  },
  {
    name: "D7 a timed-out task keeps its activity in the database and the event",
    run(f) {
      const w1 = f.addWorker({ name: "w1" });
      const job = f.addJob({ status: "active" });
      const task = f.addTask(job, { status: "active", worker: w1 });
      f.run((tx, emit) => f.sm.timeOutTask(tx, emit, task, w1));
      const activity = `Task timed out on worker w1 (${w1.uuid})`;
      expect(f.task(task).activity).toBe(activity);
      expect(f.taskEvents()[0]).toMatchObject({ status: "failed", activity });
      expect(f.linesOf(task)[1]).toEndWith("but untouched since forever");
    },
  },
];

describe("state machine behaviour pinned by Flamenco's tests", () => {
  for (const row of table) test(row.name, () => row.run(createFixture()));
});

describe("where Tablao deliberately differs", () => {
  for (const row of differences) test(row.name, () => row.run(createFixture()));
});
