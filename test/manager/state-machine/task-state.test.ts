import { expect, test } from "bun:test";
import { createFixture } from "./fixture";

test("rows the caller passes are used instead of read: the event names the given worker", () => {
  const f = createFixture();
  const worker = f.addWorker("elvis");
  const job = f.addJob("queued");
  const task = f.addTask(job, "queued", { workerId: worker.id });
  const given = { id: worker.id, name: "elvis as the caller read it", uuid: worker.uuid };
  f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active", { job: f.job(job), worker: given }));
  expect(f.taskEvents()[0]).toMatchObject({ worker: { name: given.name, uuid: worker.uuid } });
  expect(f.job(job).status).toBe("active");
});

test("rows of another job or worker are ignored: the task's own are read", () => {
  const f = createFixture();
  const worker = f.addWorker("elvis");
  const other = f.addWorker("priscilla");
  const job = f.addJob("queued");
  const otherJob = f.addJob("active");
  const task = f.addTask(job, "queued", { workerId: worker.id });
  f.run((tx, emit) => f.sm.taskStatusChange(tx, emit, task, "active", { job: otherJob, worker: other }));
  expect(f.taskEvents()[0]).toMatchObject({ job_id: job.uuid, worker: { name: "elvis", uuid: worker.uuid } });
  expect(f.job(job).status).toBe("active");
});
