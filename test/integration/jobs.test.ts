// The jobs life cycle against a real Manager (SQLite file, Bun.serve on a free port): what a
// pipeline engineer does with curl, plus the broken-script and bad-input cases.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { PublishedEvent } from "../../src/manager/events/broker";
import { startTestManager, type TestManager } from "../support/manager";
import { waitFor } from "../support/wait";

let m: TestManager;
const events: PublishedEvent[] = [];

beforeAll(async () => {
  m = await startTestManager();
  m.manager.broker.listen((e) => events.push(e));
});
afterAll(() => m.destroy());

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${m.url}/api/v3${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const answer: unknown = text ? JSON.parse(text) : null;
  return { status: res.status, body: answer };
}

// The fields the test reads from API answers.
const WithId = z.object({ id: z.string() });
const JobAnswer = z.object({ status: z.string(), activity: z.string(), priority: z.number() });
const TaskAnswers = z.object({
  tasks: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() })),
});
const TaskAnswer = z.object({ commands: z.unknown(), failed_by_workers: z.unknown() });
const ErrorAnswer = z.object({ code: z.number(), message: z.string() });
const StepsAnswer = z.object({ id: z.string(), steps_total: z.number() });
const JobTypeAnswer = z.object({ etag: z.string() });

const echoJob = (settings: Record<string, unknown> = {}) => ({
  name: "hello",
  type: "echo-sleep-test",
  priority: 50,
  submitter_platform: "linux",
  settings: { message: "Hello", sleep_duration_seconds: 1, sleep_repeats: 3, ...settings },
});

const tasksOf = async (id: string) => TaskAnswers.parse((await api("GET", `/jobs/${id}/tasks`)).body).tasks;
const taskStatuses = async (id: string) => (await tasksOf(id)).map((t) => t.status);
const jobOf = async (id: string) => JobAnswer.parse((await api("GET", `/jobs/${id}`)).body);

describe("a job's life", () => {
  let id: string;

  test("submit: 200 with the stored job, step total computed, a job event", async () => {
    const res = await api("POST", "/jobs", echoJob());
    expect(res.status).toBe(200);
    id = WithId.parse(res.body).id;
    expect(res.body).toMatchObject({
      name: "hello",
      type: "echo-sleep-test",
      status: "queued",
      steps_total: 4,
    });
    expect(events.some((e) => e.topic === "/jobs" && (e.payload as { id: string }).id === id)).toBe(true);
  });

  test("listed, fetched, and its tasks in order with dependencies resolved", async () => {
    const listed = z.object({ jobs: z.array(WithId) }).parse((await api("GET", "/jobs")).body);
    expect(listed.jobs.map((j) => j.id)).toContain(id);
    expect(WithId.parse((await api("GET", `/jobs/${id}`)).body).id).toBe(id);
    const tasks = await tasksOf(id);
    expect(tasks.map((t) => t.name)).toEqual(["echo", "sleep", "sleep", "sleep"]);
    const sleep = TaskAnswer.parse((await api("GET", `/tasks/${tasks[1]?.id}`)).body);
    expect(sleep.commands).toEqual([
      { name: "sleep", parameters: { duration_in_seconds: 1 }, total_step_count: 0 },
    ]);
    expect(sleep.failed_by_workers).toEqual([]);
  });

  test("pause, requeue and cancel cascade onto the tasks", async () => {
    const setStatus = (status: string) => api("POST", `/jobs/${id}/setstatus`, { status, reason: "testing" });
    expect((await setStatus("pause-requested")).status).toBe(204);
    expect((await jobOf(id)).status).toBe("paused");
    expect(await taskStatuses(id)).toEqual(["paused", "paused", "paused", "paused"]);

    expect((await setStatus("requeueing")).status).toBe(204);
    expect((await jobOf(id)).status).toBe("queued");
    expect(await taskStatuses(id)).toEqual(["queued", "queued", "queued", "queued"]);

    expect((await setStatus("cancel-requested")).status).toBe(204);
    const job = await jobOf(id);
    expect(job.status).toBe("canceled");
    expect(job.activity).toBe('Changed to status "canceled": testing');
    expect(await taskStatuses(id)).toEqual(["canceled", "canceled", "canceled", "canceled"]);
  });

  test("priority and deletion", async () => {
    expect((await api("POST", `/jobs/${id}/setpriority`, { priority: 80 })).status).toBe(204);
    expect((await jobOf(id)).priority).toBe(80);
    expect((await api("GET", `/jobs/${id}/what-would-delete-do`)).body).toEqual({ shaman_checkout: false });
    expect((await api("DELETE", `/jobs/${id}`)).status).toBe(204);
    await waitFor(
      "the deleter to remove the job",
      async () => (await api("GET", `/jobs/${id}`)).status === 404,
    );
    const gone = events.find((e) => (e.payload as { was_deleted?: boolean }).was_deleted);
    expect(gone?.payload).toMatchObject({ id, name: "hello", was_deleted: true });
  });
});

describe("submission checks", () => {
  test("a missing required setting and an unknown type are 400s naming the problem", async () => {
    const noMessage = echoJob();
    delete (noMessage.settings as Record<string, unknown>).message;
    const res = await api("POST", "/jobs", noMessage);
    expect(res.status).toBe(400);
    expect(ErrorAnswer.parse(res.body).message).toContain("message");
    const unknown = await api("POST", "/jobs", { ...echoJob(), type: "no-such-type" });
    expect(unknown).toMatchObject({ status: 400, body: { code: 400 } });
    expect(ErrorAnswer.parse(unknown.body).message).toContain("no-such-type");
  });

  test("a stale type_etag is 412; the current one passes the check", async () => {
    const type = JobTypeAnswer.parse((await api("GET", "/jobs/type/echo-sleep-test")).body);
    expect((await api("POST", "/jobs/check", { ...echoJob(), type_etag: "0".repeat(40) })).status).toBe(412);
    expect((await api("POST", "/jobs/check", { ...echoJob(), type_etag: type.etag })).status).toBe(204);
  });

  test("malformed bodies and IDs are 400 Error JSON naming the field, unknown IDs 404", async () => {
    for (const [method, path, body, field] of [
      ["POST", "/jobs", "{not json", ""],
      ["POST", "/jobs", { ...echoJob(), priority: "high" }, "priority"],
      ["POST", "/jobs/00000000-0000-0000-0000-000000000000/setpriority", { priority: 101 }, "priority"],
      ["GET", "/jobs/not-a-uuid", undefined, "job_id"],
      [
        "POST",
        "/jobs/00000000-0000-0000-0000-000000000000/setstatus",
        { status: "bogus", reason: "" },
        "status",
      ],
    ] as const) {
      const res = await api(method, path, body);
      expect(res.status).toBe(400);
      const error = ErrorAnswer.parse(res.body);
      expect(error.code).toBe(400);
      expect(error.message).toContain(field);
    }
    const missing = await api("GET", "/jobs/00000000-0000-0000-0000-000000000000");
    expect(missing).toEqual({ status: 404, body: { code: 404, message: "no such job" } });
  });

  test("a 10,000-task job is stored in one go", async () => {
    const res = await api("POST", "/jobs", echoJob({ sleep_repeats: 9_999 }));
    expect(res.status).toBe(200);
    const job = StepsAnswer.parse(res.body);
    expect(job.steps_total).toBe(10_000);
    expect(await tasksOf(job.id)).toHaveLength(10_000);
  });
});

describe("worker tags and initial status", () => {
  const tagOf = async (id: string) =>
    z.object({ worker_tag: z.string().optional() }).parse((await api("GET", `/jobs/${id}`)).body).worker_tag;

  test("a job's tag is set by UUID or by name, the UUID winning, and cleared; an unknown tag is 406", async () => {
    const tag = WithId.parse((await api("POST", "/worker-mgt/tags", { name: "gpu" })).body);
    const submitted = await api("POST", "/jobs", { ...echoJob(), worker_tag: tag.id });
    expect(submitted).toMatchObject({ status: 200, body: { worker_tag: tag.id } });
    const id = WithId.parse(submitted.body).id;
    expect(await tagOf(id)).toBe(tag.id);

    const setTag = async (change: { id?: string; name?: string }) =>
      (await api("POST", `/jobs/${id}/settag`, change)).status;
    expect(await setTag({})).toBe(204);
    expect(await tagOf(id)).toBeUndefined();
    expect(await setTag({ name: "gpu" })).toBe(204);
    expect(await tagOf(id)).toBe(tag.id);
    expect(await setTag({})).toBe(204);
    expect(await setTag({ id: tag.id, name: "no-such-tag" })).toBe(204);
    expect(await tagOf(id)).toBe(tag.id);
    expect(await setTag({ name: "no-such-tag" })).toBe(406);
    expect(await setTag({ id: crypto.randomUUID() })).toBe(406);
    expect(await tagOf(id)).toBe(tag.id);
  });

  test("a job is submitted queued or paused, never in another status", async () => {
    const paused = await api("POST", "/jobs", { ...echoJob(), initial_status: "paused" });
    expect(paused).toMatchObject({ status: 200, body: { status: "paused" } });
    const active = await api("POST", "/jobs", { ...echoJob(), initial_status: "active" });
    expect(active.status).toBe(400);
    expect(ErrorAnswer.parse(active.body).message).toContain("initial_status");
  });
});

describe("custom job-type scripts", () => {
  test("a broken script gives a 400 naming file and line while the server keeps serving", async () => {
    const scripts = join(m.dir, "scripts");
    mkdirSync(scripts, { recursive: true });
    writeFileSync(
      join(scripts, "broken_type.js"),
      'const JOB_TYPE = { label: "Broken", settings: [] };\nfunction compileJob(job) {\n  notDefined();\n}\n',
    );
    writeFileSync(
      join(scripts, "looping.js"),
      'const JOB_TYPE = { label: "Loop", settings: [] };\nfunction compileJob(job) { for (;;) {} }\n',
    );
    const broken = await api("POST", "/jobs", {
      name: "x",
      type: "broken-type",
      priority: 50,
      submitter_platform: "linux",
    });
    expect(broken.status).toBe(400);
    expect(ErrorAnswer.parse(broken.body).message).toContain("broken_type.js:3");

    const looping = api("POST", "/jobs", {
      name: "x",
      type: "looping",
      priority: 50,
      submitter_platform: "linux",
    });
    // While the script loops in its worker thread, the server answers other requests.
    expect((await api("GET", "/version")).status).toBe(200);
    const res = await looping;
    expect(res.status).toBe(400);
    expect(ErrorAnswer.parse(res.body).message).toContain("looping.js");
    expect((await api("GET", "/jobs/types")).status).toBe(200);
  }, 20_000);
});

describe("mass deletion", () => {
  test("marks every job last updated up to the moment, and the deleter removes them; none is 416", async () => {
    const massDelete = async (moment: Date) =>
      (await api("DELETE", "/jobs/mass-delete", { last_updated_max: moment.toISOString() })).status;
    expect(await massDelete(new Date("2001-01-01T00:00:00Z"))).toBe(416);
    const id = WithId.parse((await api("POST", "/jobs", echoJob())).body).id;
    expect(await massDelete(new Date())).toBe(204);
    expect(
      events.some((e) => e.event === "/jobs" && e.payload.id === id && e.payload.delete_requested_at),
    ).toBe(true);
    const listed = z.object({ jobs: z.array(WithId) });
    await waitFor(
      "the deleter to remove every job",
      async () => listed.parse((await api("GET", "/jobs")).body).jobs.length === 0,
    );
  });
});
