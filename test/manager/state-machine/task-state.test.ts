import { expect, test } from "bun:test";
import { createFixture } from "./fixture";

test("rows the caller passes are used instead of read: the event names the given worker", () => {
  const f = createFixture();
  const worker = f.addWorker({ name: "elvis" });
  const job = f.addJob({ status: "queued" });
  const task = f.addTask(job, { status: "queued", worker });
  const given = { id: worker.id, name: "elvis as the caller read it", uuid: worker.uuid };
  f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active", { job: f.job(job), worker: given }));
  expect(f.taskEvents()[0]).toMatchObject({ worker: { name: given.name, uuid: worker.uuid } });
  expect(f.job(job).status).toBe("active");
});

test("rows of another job or worker are ignored: the task's own are read", () => {
  const f = createFixture();
  const worker = f.addWorker({ name: "elvis" });
  const other = f.addWorker({ name: "priscilla" });
  const job = f.addJob({ status: "queued" });
  const otherJob = f.addJob({ status: "active" });
  const task = f.addTask(job, { status: "queued", worker });
  f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active", { job: otherJob, worker: other }));
  expect(f.taskEvents()[0]).toMatchObject({ job_id: job.uuid, worker: { name: "elvis", uuid: worker.uuid } });
  expect(f.job(job).status).toBe("active");
});
