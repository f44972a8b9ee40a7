// The chains a job status change sets off (see docs/state-machines.md), as a caller sees
// them: statuses saved, tasks touched, and the job events with previous_status/refresh_tasks.
import { describe, expect, test } from "bun:test";
import { containing } from "../../support/matchers";
import { createFixture } from "./fixture";

const jobEvent = (previous_status: string, status: string, refresh_tasks: boolean) =>
  containing({ previous_status, status, refresh_tasks });

describe("job status change chains", () => {
  test("→ cancel-requested: two events, ending canceled with the reason in the activity", () => {
    const f = createFixture();
    const job = f.addJob({ status: "paused" });
    const queued = f.addTask(job, { status: "queued" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "cancel-requested", "stop it"));
    expect(f.jobEvents()).toEqual([
      jobEvent("paused", "cancel-requested", true),
      jobEvent("cancel-requested", "canceled", false),
    ]);
    expect(f.job(job)).toMatchObject({
      status: "canceled",
      activity: 'Changed to status "canceled": stop it',
    });
    expect(f.task(queued).status).toBe("canceled");
  });

  test("→ pause-requested with an active task waits; the task completing finishes the pause", () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    const active = f.addTask(job, { status: "active" });
    f.addTask(job, { status: "queued" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "pause-requested", "pause please"));
    expect(f.jobEvents()).toEqual([jobEvent("active", "pause-requested", true)]);
    f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, active, "completed"));
    expect(f.job(job)).toMatchObject({
      status: "paused",
      activity: 'Changed to status "paused": no more active tasks after task completion',
    });
    expect(f.jobEvents()[1]).toEqual(jobEvent("pause-requested", "paused", false));
  });

  test("a task failing or being cancelled during pause-requested also completes the pause", () => {
    for (const [status, reason] of [
      ["failed", "no more active tasks after task failure"],
      ["canceled", "no more active tasks after task cancellation"],
    ] as const) {
      const f = createFixture();
      const job = f.addJob({ status: "pause-requested" });
      const active = f.addTask(job, { status: "active" });
      f.addTasks(job, 20, { status: "paused" });
      f.addTask(job, { status: "queued" });
      f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, active, status));
      expect(f.job(job)).toMatchObject({
        status: "paused",
        activity: `Changed to status "paused": ${reason}`,
      });
    }
  });

  test("→ requeueing ending with every task completed adds a third event queued→completed", () => {
    const f = createFixture();
    const job = f.addJob({ status: "canceled" });
    f.addTasks(job, 2, { status: "completed" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "requeueing", "again"));
    expect(f.jobEvents()).toEqual([
      jobEvent("canceled", "requeueing", true),
      jobEvent("requeueing", "queued", true),
      jobEvent("queued", "completed", false),
    ]);
    expect(f.job(job).status).toBe("completed");
  });

  test("requeueing from anything but completed leaves active and completed tasks alone", () => {
    const f = createFixture();
    const job = f.addJob({ status: "failed" });
    const active = f.addTask(job, { status: "active", stepsTotal: 4, stepsCompleted: 3 });
    const completed = f.addTask(job, { status: "completed" });
    const paused = f.addTask(job, { status: "paused" });
    const softFailed = f.addTask(job, { status: "soft-failed" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "requeueing", "again"));
    expect(f.task(active)).toMatchObject({ status: "active", stepsCompleted: 3 });
    expect(f.task(completed).status).toBe("completed");
    expect(f.task(paused).status).toBe("queued");
    expect(f.task(softFailed).status).toBe("queued");
    expect(f.job(job)).toMatchObject({ status: "queued", stepsCompleted: 4, stepsTotal: 7 });
  });

  test("requeueing from under-construction does nothing to tasks and stays requeueing", () => {
    const f = createFixture();
    const job = f.addJob({ status: "under-construction" });
    const task = f.addTask(job, { status: "queued" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "requeueing", "go"));
    expect(f.job(job).status).toBe("requeueing");
    expect(f.task(task)).toMatchObject({ status: "queued", activity: "" });
    expect(f.jobEvents()).toEqual([jobEvent("under-construction", "requeueing", true)]);
  });

  test("→ queued directly only checks completion: paused tasks stay paused", () => {
    const f = createFixture();
    const job = f.addJob({ status: "paused" });
    const paused = f.addTask(job, { status: "paused" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "queued", "go"));
    expect(f.task(paused).status).toBe("paused");
    expect(f.jobEvents()).toEqual([jobEvent("paused", "queued", true)]);
  });

  test("→ queued with no tasks at all completes the job", () => {
    const f = createFixture();
    const job = f.addJob({ status: "paused" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "queued", "go"));
    expect(f.job(job).status).toBe("completed");
  });

  test("→ failed: one event, potentially-runnable tasks cancelled, job stays failed", () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    const queued = f.addTask(job, { status: "queued" });
    f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "failed", "broken"));
    expect(f.jobEvents()).toEqual([jobEvent("active", "failed", true)]);
    expect(f.task(queued)).toMatchObject({
      status: "canceled",
      activity: 'Manager cancelled this task because the job got status "failed".',
    });
  });

  test("→ paused / completed / active / canceled directly: status stored, tasks untouched, refresh false", () => {
    for (const status of ["paused", "completed", "active", "canceled"] as const) {
      const f = createFixture();
      const job = f.addJob({ status: "queued" });
      const task = f.addTask(job, { status: "queued" });
      f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, status, "because"));
      expect(f.job(job).status).toBe(status);
      expect(f.task(task)).toMatchObject({ status: "queued", activity: "" });
      expect(f.jobEvents()).toEqual([jobEvent("queued", status, false)]);
    }
  });

  test("requesting the current status is a no-op: nothing saved, no event", () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    f.clock.advance(1_000);
    const result = f.run((tx, emit) => f.sm.jobStatusChange(tx, emit, job, "active", "again"));
    expect(result).toEqual(job);
    expect(f.job(job).updatedAt).toEqual(job.updatedAt);
    expect(f.events).toEqual([]);
  });

  test("job events are published only after the cascade commits, each with a fresh updated", () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    f.addTask(job, { status: "queued" });
    f.clock.advance(5_000);
    let publishedDuringTransaction = -1;
    f.run((tx, emit) => {
      f.sm.jobStatusChange(tx, emit, job, "cancel-requested", "stop");
      publishedDuringTransaction = f.events.length;
    });
    expect(publishedDuringTransaction).toBe(0);
    const now = f.clock.now().toISOString();
    expect(f.jobEvents().map((e) => e.updated)).toEqual([now, now]);
    expect(f.events.every((e) => e.topic === "/jobs")).toBe(true);
  });
});
