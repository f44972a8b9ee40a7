// The human status endpoints' input checks and their transactional behaviour (§5.7).
import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/manager/errors";
import { thrownBy } from "../../support/thrown";
import { createFixture } from "./fixture";

describe("setJobStatus", () => {
  test("a job ID that is not a UUID is a 400", () => {
    const f = createFixture();
    expect(thrownBy(ApiError, () => f.sm.setJobStatus(f.db, f.broker, "nope", "queued", "x"))).toMatchObject({
      status: 400,
      message: "job ID not valid",
    });
  });

  test("a status outside the enum is a 400 naming it, and nothing changes", () => {
    const f = createFixture();
    const job = f.addJob("active");
    const err = thrownBy(ApiError, () => f.sm.setJobStatus(f.db, f.broker, job.uuid, "borked", "x"));
    expect(err).toMatchObject({ status: 400, message: 'invalid job status "borked"' });
    expect(f.job(job)).toEqual(job);
  });

  test("requeueing a job that is already requeueing still clears its failure bookkeeping", () => {
    const f = createFixture();
    const w1 = f.addWorker("w1");
    const job = f.addJob("requeueing");
    const task = f.addTask(job, "queued");
    f.addFailure(task, w1);
    f.addBlock(job, w1);
    f.sm.setJobStatus(f.db, f.broker, job.uuid, "requeueing", "again");
    expect(f.events).toEqual([]);
    expect(f.failuresOf(task)).toEqual([]);
    expect(f.blocksOf(job)).toEqual([]);
  });

  test("any enum status is accepted from any status, as in Flamenco", () => {
    const f = createFixture();
    const job = f.addJob("completed");
    expect(f.sm.setJobStatus(f.db, f.broker, job.uuid, "under-construction", "odd but allowed").status).toBe(
      "under-construction",
    );
  });
});

describe("setTaskStatus", () => {
  test("an unknown task is a 404 'no such task'", () => {
    const f = createFixture();
    expect(
      thrownBy(ApiError, () => f.sm.setTaskStatus(f.db, f.broker, "whatever", "queued", "x")),
    ).toMatchObject({
      status: 404,
      message: "no such task",
    });
  });

  test("a status outside the enum is a 400", () => {
    const f = createFixture();
    const task = f.addTask(f.addJob("active"), "active");
    expect(
      thrownBy(ApiError, () => f.sm.setTaskStatus(f.db, f.broker, task.uuid, "borked", "x")).status,
    ).toBe(400);
    expect(f.task(task)).toEqual(task);
  });

  test("cancelling a task keeps its failure list; the job cascade runs in the same transaction", () => {
    const f = createFixture();
    const w1 = f.addWorker("w1");
    const job = f.addJob("active");
    const task = f.addTask(job, "active");
    f.addFailure(task, w1);
    f.sm.setTaskStatus(f.db, f.broker, task.uuid, "canceled", "requested from web interface");
    expect(f.task(task)).toMatchObject({ status: "canceled", activity: "requested from web interface" });
    expect(f.failuresOf(task)).toEqual([w1.id]);
    expect(f.job(job).status).toBe("canceled");
    expect(f.events.map((e) => e.event)).toEqual(["/task", "/jobs"]);
  });

  test("requeueing a task of a failed job leaves the job failed (Flamenco's rule)", () => {
    const f = createFixture();
    const job = f.addJob("failed");
    const task = f.addTask(job, "failed");
    f.sm.setTaskStatus(f.db, f.broker, task.uuid, "queued", "retry");
    expect(f.task(task).status).toBe("queued");
    expect(f.job(job).status).toBe("failed");
  });
});
