// The human status endpoints' input checks and their transactional behaviour.
import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/manager/errors";
import type { JobStatus, TaskStatus } from "../../../src/shared/statuses";
import { thrownBy } from "../../support/thrown";
import { createFixture } from "./fixture";

describe("setJobStatus", () => {
  test("a job ID that is not a UUID is a 400", () => {
    const f = createFixture();
    expect(thrownBy(ApiError, () => f.sm.setJobStatus("nope", "queued", "x"))).toMatchObject({
      status: 400,
      message: "job ID not valid",
    });
  });

  test("a status outside the enum is a 400 naming it, and nothing changes", () => {
    const f = createFixture();
    const job = f.addJob({ status: "active" });
    const err = thrownBy(ApiError, () => f.sm.setJobStatus(job.uuid, "borked" as JobStatus, "x"));
    expect(err).toMatchObject({ status: 400, message: 'invalid job status "borked"' });
    expect(f.job(job)).toEqual(job);
  });

  test("requeueing a job that is already requeueing still clears its failure bookkeeping", () => {
    const f = createFixture();
    const w1 = f.addWorker({ name: "w1" });
    const job = f.addJob({ status: "requeueing" });
    const task = f.addTask(job, { status: "queued" });
    f.addFailure(task, w1);
    f.addBlock(job, w1);
    f.sm.setJobStatus(job.uuid, "requeueing", "again");
    expect(f.events).toEqual([]);
    expect(f.failuresOf(task)).toEqual([]);
    expect(f.blocksOf(job)).toEqual([]);
  });

  test("any enum status is accepted from any status, as in Flamenco", () => {
    const f = createFixture();
    const job = f.addJob({ status: "completed" });
    expect(f.sm.setJobStatus(job.uuid, "under-construction", "odd but allowed").status).toBe(
      "under-construction",
    );
  });
});

describe("setTaskStatus", () => {
  test("an unknown task is a 404 'no such task'", () => {
    const f = createFixture();
    expect(thrownBy(ApiError, () => f.sm.setTaskStatus("whatever", "queued", "x"))).toMatchObject({
      status: 404,
      message: "no such task",
    });
  });

  test("a status outside the enum is a 400", () => {
    const f = createFixture();
    const task = f.addTask(f.addJob({ status: "active" }), { status: "active" });
    expect(thrownBy(ApiError, () => f.sm.setTaskStatus(task.uuid, "borked" as TaskStatus, "x")).status).toBe(
      400,
    );
    expect(f.task(task)).toEqual(task);
  });

  test("cancelling a task keeps its failure list; the job cascade runs in the same transaction", () => {
    const f = createFixture();
    const w1 = f.addWorker({ name: "w1" });
    const job = f.addJob({ status: "active" });
    const task = f.addTask(job, { status: "active" });
    f.addFailure(task, w1);
    f.sm.setTaskStatus(task.uuid, "canceled", "requested from web interface");
    expect(f.task(task)).toMatchObject({ status: "canceled", activity: "requested from web interface" });
    expect(f.failuresOf(task)).toEqual([w1.id]);
    expect(f.job(job).status).toBe("canceled");
    expect(f.events.map((e) => e.event)).toEqual(["/task", "/jobs"]);
  });

  test("requeueing a task of a failed job leaves the job failed (Flamenco's rule)", () => {
    const f = createFixture();
    const job = f.addJob({ status: "failed" });
    const task = f.addTask(job, { status: "failed" });
    f.sm.setTaskStatus(task.uuid, "queued", "retry");
    expect(f.task(task).status).toBe("queued");
    expect(f.job(job).status).toBe("failed");
  });
});
