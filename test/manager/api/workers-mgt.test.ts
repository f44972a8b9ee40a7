// Worker management through HTTP: listing, details, deletion, tags and sleep schedules
// (see docs/worker-protocol.md).
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { sleepSchedules, workerTagMembership, workerTags } from "../../../src/manager/db/schema";
import type { Schemas } from "../../../src/worker/client";
import { createHarness, type Harness } from "../farm/harness";

/** The JSON answer, as the shape the test expects; the test checks the fields it reads. */
async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function createTag(h: Harness, body: Record<string, unknown>) {
  const res = await h.request("POST", "/api/v3/worker-mgt/tags", body);
  return { status: res.status, body: await json<Schemas["WorkerTag"]>(res) };
}

describe("GET /api/v3/worker-mgt/workers", () => {
  test("lists every worker as WorkerSummary, in registration order", async () => {
    const h = createHarness();
    const a = await h.signedOn("alpha", true);
    const b = await h.register("beta");
    await h.request("POST", `/api/v3/worker-mgt/workers/${a.uuid}/setstatus`, {
      status: "asleep",
      is_lazy: true,
    });
    const res = await h.request("GET", "/api/v3/worker-mgt/workers");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      workers: [
        {
          id: a.uuid,
          name: "alpha",
          status: "starting",
          status_change: { status: "asleep", is_lazy: true },
          last_seen: h.clock.now().toISOString(),
          version: "3.9",
          can_restart: true,
        },
        { id: b.uuid, name: "beta", status: "", version: "", can_restart: false },
      ],
    });
  });
});

describe("GET /api/v3/worker-mgt/workers/{worker_id}", () => {
  test("a fresh worker: no tags, no task, empty task-type list for none", async () => {
    const h = createHarness();
    const w = await h.register("fresh", { supported_task_types: [] });
    const res = await h.request("GET", `/api/v3/worker-mgt/workers/${w.uuid}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      id: w.uuid,
      name: "fresh",
      status: "",
      version: "",
      can_restart: false,
      ip_address: "",
      platform: "linux",
      supported_task_types: [],
    });
  });

  test("with tags and its current task, preferred over a more recently updated one", async () => {
    const h = createHarness();
    const w = await h.signedOn("busy");
    const row = h.worker(w.uuid)!;
    const tag = await createTag(h, { name: "gpu", description: "has a GPU" });
    const plain = await createTag(h, { name: "plain" });
    await h.request("POST", `/api/v3/worker-mgt/workers/${w.uuid}/settags`, {
      tag_ids: [tag.body.id, plain.body.id],
    });

    const job = h.addJob({ status: "active" });
    const current = h.addTask(job, { status: "active", worker: row });
    h.clock.advance(1_000);
    h.addTask(h.addJob({ status: "completed" }), { status: "completed", worker: row });

    const body = await json(await h.request("GET", `/api/v3/worker-mgt/workers/${w.uuid}`));
    expect(body.tags).toEqual([
      { id: tag.body.id, name: "gpu", description: "has a GPU" },
      { id: plain.body.id, name: "plain" },
    ]);
    expect(body.task).toEqual({
      activity: "",
      id: current.uuid,
      name: current.name,
      status: "active",
      index_in_job: current.indexInJob,
      priority: 50,
      task_type: "blender",
      updated: current.updatedAt.toISOString(),
      steps_completed: 0,
      steps_total: 1,
      worker: { id: w.uuid, name: "busy", address: "" },
      job_id: job.uuid,
    });
    expect(body.supported_task_types).toEqual(["blender", "misc"]);
  });

  test("without an active task, the most recently updated one", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    const row = h.worker(w.uuid)!;
    h.addTask(h.addJob({ status: "completed" }), { status: "completed", worker: row });
    h.clock.advance(1_000);
    const latest = h.addTask(h.addJob({ status: "queued" }), { status: "queued", worker: row });
    const body = await json(await h.request("GET", `/api/v3/worker-mgt/workers/${w.uuid}`));
    expect((body.task as { id: string }).id).toBe(latest.uuid);
  });

  test("400 for a malformed id, 404 for an unknown one", async () => {
    const h = createHarness();
    const bad = await h.request("GET", "/api/v3/worker-mgt/workers/1234");
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe(400);
    const missing = await h.request("GET", `/api/v3/worker-mgt/workers/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe(404);
  });
});

describe("DELETE /api/v3/worker-mgt/workers/{worker_id}", () => {
  test("requeues its active tasks, removes the row and announces deleted_at", async () => {
    const h = createHarness();
    const w = await h.signedOn("doomed");
    await h.reportState(w, "awake");
    const row = h.worker(w.uuid)!;
    const job = h.addJob({ status: "active" });
    const active = h.addTask(job, { status: "active", worker: row });
    const done = h.addTask(job, { status: "completed", worker: row });
    h.clearEvents();

    const res = await h.request("DELETE", `/api/v3/worker-mgt/workers/${w.uuid}`);
    expect(res.status).toBe(204);
    expect(h.worker(w.uuid)).toBeUndefined();
    expect(h.task(active)).toMatchObject({
      status: "queued",
      activity: "Task was queued by Manager because worker is being deleted",
      workerId: null,
    });
    expect(h.task(done).status).toBe("completed");
    expect(h.events.find((e) => e.topic === `/jobs/${job.uuid}`)?.payload).toMatchObject({
      id: active.uuid,
      status: "queued",
      previous_status: "active",
    });
    expect(h.workerEvents()).toMatchObject([
      { id: w.uuid, name: "doomed", status: "awake", deleted_at: h.clock.now().toISOString() },
    ]);

    expect((await h.request("DELETE", `/api/v3/worker-mgt/workers/${w.uuid}`)).status).toBe(404);
    expect((await h.request("DELETE", "/api/v3/worker-mgt/workers/nope")).status).toBe(400);
  });

  test("its tag memberships and sleep schedule go with it", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    const tag = await createTag(h, { name: "t" });
    await h.request("POST", `/api/v3/worker-mgt/workers/${w.uuid}/settags`, { tag_ids: [tag.body.id] });
    await h.request("POST", `/api/v3/worker-mgt/workers/${w.uuid}/sleep-schedule`, {
      is_active: true,
      days_of_week: "",
      start_time: "",
      end_time: "",
    });
    await h.request("DELETE", `/api/v3/worker-mgt/workers/${w.uuid}`);
    expect(h.db.orm.select().from(workerTagMembership).all()).toEqual([]);
    expect(h.db.orm.select().from(sleepSchedules).all()).toEqual([]);
    expect(h.db.orm.select().from(workerTags).all()).toHaveLength(1);
  });
});

describe("worker tags", () => {
  test("create, fetch, list, update, delete, with events", async () => {
    const h = createHarness();
    const created = await createTag(h, { name: "gpu", description: "cards" });
    expect(created.status).toBe(200);
    const id = created.body.id ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toEqual({ id, name: "gpu", description: "cards" });

    const chosen = await createTag(h, {
      id: "6b6c3f47-8f0c-4a45-9b3e-7a0c4d7e1f00",
      name: "cpu",
      description: "",
    });
    expect(chosen.body).toEqual({ id: "6b6c3f47-8f0c-4a45-9b3e-7a0c4d7e1f00", name: "cpu" });

    expect(await json(await h.request("GET", `/api/v3/worker-mgt/tag/${id}`))).toEqual(created.body);
    expect(await json(await h.request("GET", "/api/v3/worker-mgt/tags"))).toEqual({
      tags: [created.body, chosen.body],
    });

    expect((await h.request("PUT", `/api/v3/worker-mgt/tag/${id}`, { name: "GPU" })).status).toBe(204);
    expect(await json(await h.request("GET", `/api/v3/worker-mgt/tag/${id}`))).toEqual({
      id,
      name: "GPU",
      description: "cards",
    });
    expect(
      (
        await h.request("PUT", `/api/v3/worker-mgt/tag/${id}`, {
          id: crypto.randomUUID(),
          name: "GPU",
          description: "",
        })
      ).status,
    ).toBe(204);
    expect(await json(await h.request("GET", `/api/v3/worker-mgt/tag/${id}`))).toEqual({ id, name: "GPU" });

    expect((await h.request("DELETE", `/api/v3/worker-mgt/tag/${id}`)).status).toBe(204);
    expect((await h.request("GET", `/api/v3/worker-mgt/tag/${id}`)).status).toBe(404);

    expect(h.tagEvents()).toEqual([
      { tag: { id, name: "gpu", description: "cards" } },
      { tag: { id: chosen.body.id, name: "cpu", description: "" } },
      { tag: { id, name: "GPU", description: "cards" } },
      { tag: { id, name: "GPU", description: "" } },
      { tag: { id, name: "GPU", description: "" }, was_deleted: true },
    ]);
  });

  test("duplicates are 409, bad input 400, unknown tags 404", async () => {
    const h = createHarness();
    const first = await createTag(h, { name: "gpu" });
    const other = await createTag(h, { name: "cpu" });
    expect((await createTag(h, { name: "gpu" })).status).toBe(409);
    expect((await createTag(h, { id: first.body.id, name: "new" })).status).toBe(409);
    const rename = await h.request("PUT", `/api/v3/worker-mgt/tag/${other.body.id}`, { name: "gpu" });
    expect(rename.status).toBe(409);
    expect((await json(rename)).code).toBe(409);
    expect((await createTag(h, { name: "" })).status).toBe(400);
    expect((await createTag(h, { description: "nameless" })).status).toBe(400);
    expect((await createTag(h, { id: "not-a-uuid", name: "x" })).status).toBe(400);
    expect((await h.request("GET", "/api/v3/worker-mgt/tag/xyz")).status).toBe(400);
    const unknown = crypto.randomUUID();
    expect((await h.request("GET", `/api/v3/worker-mgt/tag/${unknown}`)).status).toBe(404);
    expect((await h.request("PUT", `/api/v3/worker-mgt/tag/${unknown}`, { name: "z" })).status).toBe(404);
    expect((await h.request("DELETE", `/api/v3/worker-mgt/tag/${unknown}`)).status).toBe(404);
    expect(h.tagEvents()).toHaveLength(2);
  });

  test("deleting a tag opens its jobs to every worker", async () => {
    const h = createHarness();
    const tag = await createTag(h, { name: "special" });
    const tagRow = h.db.orm
      .select()
      .from(workerTags)
      .where(eq(workerTags.uuid, tag.body.id ?? ""))
      .get();
    expect(tagRow).toBeDefined();
    const job = h.addJob({ status: "queued", tag: tagRow });
    await h.request("DELETE", `/api/v3/worker-mgt/tag/${tag.body.id}`);
    expect(h.job(job).workerTagId).toBeNull();
  });

  test("settags replaces the set, ignores unknown ids, collapses duplicates, announces the worker", async () => {
    const h = createHarness();
    const w = await h.signedOn("tagged");
    const a = await createTag(h, { name: "a" });
    const b = await createTag(h, { name: "b" });
    const path = `/api/v3/worker-mgt/workers/${w.uuid}/settags`;
    const tagsOf = async () =>
      (
        (await json(await h.request("GET", `/api/v3/worker-mgt/workers/${w.uuid}`))).tags as
          { name: string }[] | undefined
      )?.map((t) => t.name);

    h.clearEvents();
    expect(
      (await h.request("POST", path, { tag_ids: [a.body.id, a.body.id, crypto.randomUUID()] })).status,
    ).toBe(204);
    expect(await tagsOf()).toEqual(["a"]);
    expect(h.workerEvents()).toMatchObject([{ id: w.uuid, name: "tagged", status: "starting" }]);
    await h.request("POST", path, { tag_ids: [b.body.id] });
    expect(await tagsOf()).toEqual(["b"]);
    await h.request("POST", path, { tag_ids: [] });
    expect(await tagsOf()).toBeUndefined();

    expect((await h.request("POST", path, { tag_ids: ["nope"] })).status).toBe(400);
    expect((await h.request("POST", path, {})).status).toBe(400);
    expect(
      (await h.request("POST", `/api/v3/worker-mgt/workers/${crypto.randomUUID()}/settags`, { tag_ids: [] }))
        .status,
    ).toBe(404);
  });
});

describe("sleep schedules over HTTP", () => {
  const schedulePath = (uuid: string) => `/api/v3/worker-mgt/workers/${uuid}/sleep-schedule`;
  const allDay = { is_active: true, days_of_week: "", start_time: "", end_time: "" };

  test("none yet → 204; stored normalised → 200; unknown worker → 404", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    expect((await h.request("GET", schedulePath(w.uuid))).status).toBe(204);
    const set = await h.request("POST", schedulePath(w.uuid), {
      is_active: false,
      days_of_week: " Monday,tuesday  fr",
      start_time: "22:0",
      end_time: "6:30",
    });
    expect(set.status).toBe(204);
    const res = await h.request("GET", schedulePath(w.uuid));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      is_active: false,
      days_of_week: "mo tu fr",
      start_time: "22:00",
      end_time: "06:30",
    });

    const unknown = crypto.randomUUID();
    expect((await h.request("GET", schedulePath(unknown))).status).toBe(404);
    expect((await h.request("POST", schedulePath(unknown), allDay)).status).toBe(404);
  });

  test("invalid schedules are 400 and store nothing", async () => {
    const h = createHarness();
    const w = await h.signedOn();
    for (const body of [
      { ...allDay, start_time: "25:00" },
      { ...allDay, end_time: "noon" },
      { ...allDay, days_of_week: "m" },
      { ...allDay, days_of_week: "mo xx" },
      { ...allDay, start_time: "10:00", end_time: "10:00" },
      { is_active: true, days_of_week: "" },
    ]) {
      const res = await h.request("POST", schedulePath(w.uuid), body);
      expect(res.status).toBe(400);
      expect((await json(res)).code).toBe(400);
    }
    expect(h.db.orm.select().from(sleepSchedules).all()).toEqual([]);
  });

  test("saving applies the schedule at once: an immediate request, announced", async () => {
    const h = createHarness();
    const w = await h.signedOn("sleeper");
    await h.reportState(w, "awake");
    h.clearEvents();
    await h.request("POST", schedulePath(w.uuid), allDay);
    expect(h.worker(w.uuid)).toMatchObject({
      status: "awake",
      statusRequested: "asleep",
      lazyStatusRequest: false,
    });
    expect(h.workerEvents()).toMatchObject([
      { name: "sleeper", status: "awake", status_change: { status: "asleep", is_lazy: false } },
    ]);
    const stored = h.db.orm.select().from(sleepSchedules).get()!;
    expect(stored.nextCheck!.getTime()).toBeGreaterThan(h.clock.now().getTime());

    await h.reportState(w, "asleep");
    await h.request("POST", schedulePath(w.uuid), { ...allDay, is_active: false });
    expect(h.worker(w.uuid)).toMatchObject({
      status: "asleep",
      statusRequested: "awake",
      lazyStatusRequest: false,
    });
  });
});
