// Start-up repair of jobs left in a transitional status (see docs/state-machines.md).
import { describe, expect, test } from "bun:test";
import { containing } from "../../support/matchers";
import { createFixture } from "./fixture";

const jobEvent = (previous_status: string, status: string, refresh_tasks: boolean) =>
  containing({ previous_status, status, refresh_tasks });

describe("repairStuckJobs", () => {
  test("cancel-requested is re-enforced: runnable tasks cancelled, job canceled", () => {
    const f = createFixture();
    const job = f.addJob({ status: "cancel-requested" });
    const queued = f.addTask(job, { status: "queued" });
    const paused = f.addTask(job, { status: "paused" });
    expect(f.sm.repairStuckJobs()).toBe(1);
    expect(f.task(queued).status).toBe("canceled");
    expect(f.task(paused).status).toBe("paused");
    expect(f.job(job)).toMatchObject({
      status: "canceled",
      activity: 'Reenforcing status "canceled": checking stuck jobs',
    });
    expect(f.jobEvents()).toEqual([
      jobEvent("cancel-requested", "cancel-requested", true),
      jobEvent("cancel-requested", "canceled", false),
    ]);
  });

  test("pause-requested pauses its queued tasks, and the job only when no task is active", () => {
    const f = createFixture();
    const idle = f.addJob({ status: "pause-requested" });
    f.addTask(idle, { status: "queued" });
    const busy = f.addJob({ status: "pause-requested" });
    const active = f.addTask(busy, { status: "active" });
    const queued = f.addTask(busy, { status: "queued" });
    expect(f.sm.repairStuckJobs()).toBe(2);
    expect(f.job(idle).status).toBe("paused");
    expect(f.job(busy)).toMatchObject({
      status: "pause-requested",
      activity: 'Reenforcing status "pause-requested": checking stuck jobs',
    });
    expect(f.task(active).status).toBe("active");
    expect(f.task(queued).status).toBe("paused");
  });

  test("requeueing whose tasks are all completed ends completed", () => {
    const f = createFixture();
    const job = f.addJob({ status: "requeueing" });
    f.addTasks(job, 2, { status: "completed" });
    f.sm.repairStuckJobs();
    expect(f.job(job)).toMatchObject({
      status: "completed",
      activity: 'Reenforcing status "completed": checking stuck jobs',
    });
    expect(f.jobEvents().map((e) => e.status)).toEqual(["requeueing", "queued", "completed"]);
  });

  test("jobs in resting statuses are left alone", () => {
    const f = createFixture();
    const jobs = (["queued", "active", "paused", "completed", "failed", "canceled"] as const).map((s) =>
      f.addJob({ status: s }),
    );
    expect(f.sm.repairStuckJobs()).toBe(0);
    for (const job of jobs) expect(f.job(job)).toEqual(job);
    expect(f.events).toEqual([]);
  });

  test("a job still under construction is a submission cut short: it is marked for deletion", () => {
    const f = createFixture();
    const job = f.addJob({ status: "under-construction" });
    f.addTasks(job, 3, { status: "queued" });
    expect(f.sm.repairStuckJobs()).toBe(1);
    expect(f.job(job).deleteRequestedAt).not.toBeNull();
    expect(f.jobEvents().map((e) => e.status)).toEqual(["under-construction"]);
    // Marked once: a second start-up before the deleter ran does not mark it again.
    expect(f.sm.repairStuckJobs()).toBe(0);
  });

  test("a job that cannot be repaired is logged, rolled back, and does not stop the others", () => {
    const f = createFixture();
    const broken = f.addJob({ status: "cancel-requested", name: "broken" });
    const brokenTask = f.addTask(broken, { status: "queued" });
    const fine = f.addJob({ status: "cancel-requested" });
    f.breakJobSaves(broken);
    expect(f.sm.repairStuckJobs()).toBe(1);
    expect(f.job(fine).status).toBe("canceled");
    expect(f.job(broken).status).toBe("cancel-requested");
    expect(f.task(brokenTask).status).toBe("queued");
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]).toContain(broken.uuid);
    expect(f.jobEvents().every((e) => e.id === fine.uuid)).toBe(true);
  });
});
