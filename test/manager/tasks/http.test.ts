import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import type { WorkerRow } from "../../../src/manager/db/schema";
import { TASK_UPDATE_LOG_MAX_BYTES } from "../../../src/manager/tasks/updates";
import { createFarm, type Farm } from "../../support/task-farm";

let farm: Farm;
beforeEach(() => {
  farm = createFarm();
});
afterEach(() => farm.close());

function call(worker: WorkerRow | null, method: string, path: string, body?: unknown) {
  return farm.app.request(path, {
    method,
    headers: {
      ...(worker ? farm.auth(worker) : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
}

describe("POST /api/v3/worker/task", () => {
  test("200 with the AssignedTask, 204 when there is nothing left", async () => {
    const w = farm.addWorker({ name: "w" });
    const job = farm.addJob({ priority: 70 });
    const t = farm.addTask(job, {
      priority: 40,
      stepsTotal: 2,
      commands: [{ name: "echo", parameters: { message: "hello" }, total_step_count: 2 }],
    });
    const res = await call(w, "POST", "/api/v3/worker/task");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      uuid: t.uuid,
      job: job.uuid,
      name: t.name,
      status: "active",
      priority: 40,
      job_priority: 70,
      job_type: "simple-blender-render",
      task_type: "blender",
      commands: [{ name: "echo", parameters: { message: "hello" }, total_step_count: 2 }],
      steps_completed: 0,
      steps_total: 2,
    });
    const other = farm.addWorker({ name: "other" });
    expect((await call(other, "POST", "/api/v3/worker/task")).status).toBe(204);
  });

  test("423 with the requested status; 409 when not awake; 403 without credentials", async () => {
    const requested = farm.addWorker({ name: "requested" });
    farm.db.orm.run(sql`UPDATE workers SET status_requested = 'asleep' WHERE id = ${requested.id}`);
    const res = await call(requested, "POST", "/api/v3/worker/task");
    expect(res.status).toBe(423);
    expect(await res.json()).toEqual({ status_requested: "asleep" });

    const asleep = farm.addWorker({ name: "asleep", status: "asleep" });
    const conflict = await call(asleep, "POST", "/api/v3/worker/task");
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ code: 409 });

    expect((await call(null, "POST", "/api/v3/worker/task")).status).toBe(403);
  });
});

describe("POST /api/v3/worker/task/{task_id}", () => {
  async function assigned() {
    const w = farm.addWorker({ name: "w" });
    const t = farm.addTask(farm.addJob());
    await farm.scheduler.scheduleTask(w);
    return { w, t };
  }

  test("204 for the assigned worker; 409 with an Error body for another worker", async () => {
    const { w, t } = await assigned();
    const intruder = farm.addWorker({ name: "intruder" });
    const refused = await call(intruder, "POST", `/api/v3/worker/task/${t.uuid}`, {
      taskStatus: "completed",
    });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ code: 409, message: `task ${t.uuid} is not assigned to you` });
    expect(farm.task(t.id).status).toBe("active");

    expect(
      (await call(w, "POST", `/api/v3/worker/task/${t.uuid}`, { activity: "Started", taskStatus: "active" }))
        .status,
    ).toBe(204);
    expect((await call(w, "POST", `/api/v3/worker/task/${t.uuid}`, { taskStatus: "completed" })).status).toBe(
      204,
    );
    expect(farm.task(t.id).status).toBe("completed");
  });

  test("400 for soft-failed, for a malformed task ID and for a bad body; 404 for an unknown task", async () => {
    const { w, t } = await assigned();
    expect(
      (await call(w, "POST", `/api/v3/worker/task/${t.uuid}`, { taskStatus: "soft-failed" })).status,
    ).toBe(400);
    expect((await call(w, "POST", "/api/v3/worker/task/not-a-uuid", {})).status).toBe(400);
    expect((await call(w, "POST", `/api/v3/worker/task/${t.uuid}`, { steps_completed: "many" })).status).toBe(
      400,
    );
    expect((await call(w, "POST", `/api/v3/worker/task/${crypto.randomUUID()}`, {})).status).toBe(404);
  });
});

describe("POST /api/v3/worker/task/{task_id} with log text", () => {
  async function assigned() {
    const w = farm.addWorker({ name: "w" });
    const job = farm.addJob();
    const t = farm.addTask(job);
    await farm.scheduler.scheduleTask(w);
    return { w, t, path: farm.layout.taskLogPath(job.uuid, t.uuid) };
  }

  test(`413 {code, message} for more than ${TASK_UPDATE_LOG_MAX_BYTES} bytes of log text`, async () => {
    const { w, t, path } = await assigned();
    const res = await call(w, "POST", `/api/v3/worker/task/${t.uuid}`, {
      log: "x".repeat(TASK_UPDATE_LOG_MAX_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      code: 413,
      message: `log text of ${TASK_UPDATE_LOG_MAX_BYTES + 1} bytes is over the limit of ${TASK_UPDATE_LOG_MAX_BYTES} bytes per task update; send it in smaller parts`,
    });
    await farm.taskLogs.flush();
    expect(readFileSync(path, "utf8")).not.toContain("xxx");
  });

  test("503 {code, message} naming the file and the error when the text cannot be written", async () => {
    const { w, t, path } = await assigned();
    await farm.taskLogs.flush();
    rmSync(path);
    mkdirSync(path);
    const res = await call(w, "POST", `/api/v3/worker/task/${t.uuid}`, { log: "x", taskStatus: "completed" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { code: number; message: string };
    expect(body.code).toBe(503);
    expect(body.message).toStartWith(
      `cannot write task log ${path}: EISDIR: illegal operation on a directory`,
    );
    expect(farm.task(t.id).status).toBe("active");
  });
});

test("GET may-i-run answers all three fields", async () => {
  const w = farm.addWorker({ name: "w" });
  const t = farm.addTask(farm.addJob({ status: "active" }), { status: "active", worker: w });
  const res = await call(w, "GET", `/api/v3/worker/task/${t.uuid}/may-i-run`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ mayKeepRunning: true, reason: "", statusChangeRequested: false });
});

describe("task logs", () => {
  test("204 before any log; then info, tail and the file under /job-files/", async () => {
    const job = farm.addJob();
    const t = farm.addTask(job);
    expect((await call(null, "GET", `/api/v3/tasks/${t.uuid}/log`)).status).toBe(204);
    expect((await call(null, "GET", `/api/v3/tasks/${t.uuid}/logtail`)).status).toBe(204);
    expect((await call(null, "GET", `/api/v3/tasks/${crypto.randomUUID()}/log`)).status).toBe(404);
    expect((await call(null, "GET", "/api/v3/tasks/nope/logtail")).status).toBe(400);

    farm.taskLogs.append(job.uuid, t.uuid, "rendering\ndone");
    const info = await call(null, "GET", `/api/v3/tasks/${t.uuid}/log`);
    expect(info.status).toBe(200);
    const url = `/job-files/job-${job.uuid.slice(0, 4)}/${job.uuid}/task-${t.uuid}.txt`;
    expect(await info.json()).toEqual({ task_id: t.uuid, job_id: job.uuid, url, size: 15 });

    const tail = await call(null, "GET", `/api/v3/tasks/${t.uuid}/logtail`);
    expect(tail.headers.get("Content-Type")).toStartWith("text/plain");
    expect(await tail.text()).toBe("rendering\ndone\n");

    const file = await call(null, "GET", url);
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(await file.text()).toBe("rendering\ndone\n");
  });
});

describe("/job-files/", () => {
  test("ranges, conditional requests and 404s; nothing outside the storage root", async () => {
    const job = farm.addJob();
    const t = farm.addTask(job);
    farm.taskLogs.append(job.uuid, t.uuid, "0123456789");
    const url = `/job-files/job-${job.uuid.slice(0, 4)}/${job.uuid}/task-${t.uuid}.txt`;

    const part = await farm.app.request(url, { headers: { Range: "bytes=2-5" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("Content-Range")).toBe("bytes 2-5/11");
    expect(await part.text()).toBe("2345");
    expect((await farm.app.request(url, { headers: { Range: "bytes=50-" } })).status).toBe(416);

    const full = await farm.app.request(url);
    const lastModified = full.headers.get("Last-Modified")!;
    expect((await farm.app.request(url, { headers: { "If-Modified-Since": lastModified } })).status).toBe(
      304,
    );

    expect((await farm.app.request(`/job-files/job-${job.uuid.slice(0, 4)}`)).status).toBe(404);
    expect((await farm.app.request("/job-files/nothing-here.txt")).status).toBe(404);
    // The database file sits next to the storage root in the fixture.
    for (const path of [
      "/job-files/../flamenco-manager.sqlite",
      "/job-files/%2e%2e/flamenco-manager.sqlite",
      "/job-files/..%2fflamenco-manager.sqlite",
    ]) {
      const res = await farm.app.request(`http://localhost${path}`);
      expect(res.status).toBe(404);
    }
  });
});
