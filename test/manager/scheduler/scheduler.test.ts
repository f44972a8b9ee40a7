import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { WorkerRow } from "../../../src/manager/db/schema";
import { buildVariableTable, type VariableContext } from "../../../src/manager/config";
import { ApiError } from "../../../src/manager/errors";
import { createScheduler } from "../../../src/manager/scheduler/scheduler";
import { findSchedulableTask, SCHEDULABLE_TASK_SQL } from "../../../src/manager/db/queries/scheduler";
import { rejectedBy } from "../../support/thrown";
import { createFarm, type Farm } from "../../support/task-farm";

let farm: Farm;
beforeEach(() => {
  farm = createFarm();
});
afterEach(() => farm.close());

/** UUID of the task the worker gets, or null. */
async function next(worker: WorkerRow): Promise<string | null> {
  const r = await farm.scheduler.scheduleTask(worker);
  return r.kind === "assigned" ? r.task.uuid : null;
}

describe("eligibility", () => {
  test("no tasks: nothing", async () => {
    expect(await next(farm.addWorker({ name: "w" }))).toBeNull();
  });

  test("assignment claims, activates and touches the task, logs and announces it", async () => {
    const w = farm.addWorker({ name: "Fenna" });
    const job = farm.addJob({ status: "queued" });
    const t = farm.addTask(job);
    farm.clock.advance(5_000);

    expect(await next(w)).toBe(t.uuid);
    const saved = farm.task(t.id);
    expect(saved.status).toBe("active");
    expect(saved.workerId).toBe(w.id);
    expect(saved.lastTouchedAt).toEqual(farm.clock.now());
    expect(farm.job(job.id).status).toBe("active");
    expect(farm.worker(w.id).lastSeenAt).toEqual(farm.clock.now());
    expect(await farm.logLines(job, t)).toEqual([
      `Task assigned to worker Fenna (${w.uuid})`,
      "task changed status queued -> active",
    ]);
    const taskEvent = farm.eventsOf("/task").find((e) => e.id === t.uuid)!;
    expect(taskEvent).toMatchObject({
      status: "active",
      previous_status: "queued",
      worker: { name: "Fenna", uuid: w.uuid },
    });
    expect(farm.eventsOf("/workers").map((e) => e.id)).toContain(w.uuid);
  });

  test("task type must be supported; an empty list matches nothing", async () => {
    const job = farm.addJob();
    farm.addTask(job, { type: "ffmpeg" });
    expect(await next(farm.addWorker({ name: "blender only", taskTypes: ["blender"] }))).toBeNull();
    expect(await next(farm.addWorker({ name: "nothing", taskTypes: [] }))).toBeNull();
    expect(await next(farm.addWorker({ name: "ffmpeg", taskTypes: ["blender", "ffmpeg"] }))).not.toBeNull();
  });

  for (const [status, schedulable] of [
    ["queued", true],
    ["active", true],
    ["paused", false],
    ["pause-requested", false],
    ["completed", false],
    ["canceled", false],
    ["failed", false],
    ["cancel-requested", false],
    ["requeueing", false],
    ["under-construction", false],
  ] as const) {
    test(`job status ${status}: ${schedulable ? "schedulable" : "skipped"}`, async () => {
      const t = farm.addTask(farm.addJob({ status }));
      expect(await next(farm.addWorker({ name: "w" }))).toBe(schedulable ? t.uuid : null);
    });
  }

  for (const [status, schedulable] of [
    ["queued", true],
    ["soft-failed", true],
    ["active", false],
    ["paused", false],
    ["completed", false],
    ["canceled", false],
    ["failed", false],
  ] as const) {
    test(`task status ${status}: ${schedulable ? "schedulable" : "skipped"}`, async () => {
      const other = farm.addWorker({ name: "other" });
      const t = farm.addTask(farm.addJob({ status: "active" }), { status, worker: other });
      expect(await next(farm.addWorker({ name: "w" }))).toBe(schedulable ? t.uuid : null);
    });
  }

  test("a queued task 'assigned' to another worker is handed out and reassigned", async () => {
    const other = farm.addWorker({ name: "other" });
    const w = farm.addWorker({ name: "w" });
    const t = farm.addTask(farm.addJob(), { worker: other });
    expect(await next(w)).toBe(t.uuid);
    expect(farm.task(t.id).workerId).toBe(w.id);
  });

  test("a worker never gets back a task it failed", async () => {
    const w = farm.addWorker({ name: "w" });
    const job = farm.addJob({ status: "active" });
    const failed = farm.addTask(job, { status: "soft-failed", priority: 90 });
    const other = farm.addTask(job, { priority: 10 });
    farm.addFailure(failed, w);
    expect(await next(w)).toBe(other.uuid);
    expect(await next(farm.addWorker({ name: "fresh" }))).toBe(failed.uuid);
  });

  test("a blocklisted task type is skipped on that job only", async () => {
    const w = farm.addWorker({ name: "w" });
    const blockedJob = farm.addJob({ priority: 90 });
    farm.addTask(blockedJob, { type: "blender" });
    const ffmpegTask = farm.addTask(blockedJob, { type: "ffmpeg", priority: 10 });
    const otherJob = farm.addJob({ priority: 10 });
    const otherBlender = farm.addTask(otherJob, { type: "blender" });
    farm.addBlock(blockedJob, w, { taskType: "blender" });
    expect(await next(w)).toBe(ffmpegTask.uuid);
    expect(await next(farm.addWorker({ name: "w2" }))).not.toBe(otherBlender.uuid);
  });

  test("tags: untagged jobs run anywhere, tagged jobs only on members", async () => {
    const gpu = farm.addTag({ name: "gpu" });
    const cpu = farm.addTag({ name: "cpu" });
    const gpuTask = farm.addTask(farm.addJob({ tag: gpu, priority: 90 }));
    const untaggedTask = farm.addTask(farm.addJob({ priority: 10 }));

    expect(await next(farm.addWorker({ name: "untagged" }))).toBe(untaggedTask.uuid);
    farm.db.orm.run(sql`UPDATE tasks SET status = 'queued' WHERE id = ${untaggedTask.id}`);
    expect(await next(farm.addWorker({ name: "cpu", tags: [cpu] }))).toBe(untaggedTask.uuid);
    farm.db.orm.run(sql`UPDATE tasks SET status = 'queued' WHERE id = ${untaggedTask.id}`);
    expect(await next(farm.addWorker({ name: "gpu+cpu", tags: [cpu, gpu] }))).toBe(gpuTask.uuid);
  });

  test("dependencies must all be completed", async () => {
    const job = farm.addJob();
    const done = farm.addTask(job, { status: "completed" });
    const running = farm.addTask(job, { status: "active", worker: farm.addWorker({ name: "busy" }) });
    const blocked = farm.addTask(job, { priority: 99, dependsOn: [done, running] });
    const free = farm.addTask(job, { priority: 1, dependsOn: [done] });
    const w = farm.addWorker({ name: "w" });
    expect(await next(w)).toBe(free.uuid);
    expect(await next(farm.addWorker({ name: "w2" }))).toBeNull();
    farm.db.orm.run(sql`UPDATE tasks SET status = 'completed' WHERE id = ${running.id}`);
    expect(await next(farm.addWorker({ name: "w3" }))).toBe(blocked.uuid);
  });
});

describe("ordering", () => {
  test("task priority wins within a job", async () => {
    const job = farm.addJob();
    farm.addTask(job, { priority: 10 });
    const high = farm.addTask(job, { priority: 80 });
    expect(await next(farm.addWorker({ name: "w" }))).toBe(high.uuid);
  });

  test("job priority beats task priority", async () => {
    const low = farm.addJob({ priority: 10 });
    farm.addTask(low, { priority: 100 });
    const high = farm.addJob({ priority: 90 });
    const t = farm.addTask(high, { priority: 0 });
    expect(await next(farm.addWorker({ name: "w" }))).toBe(t.uuid);
  });

  test("equal priorities: lowest task id first, whatever the job's age", async () => {
    const older = farm.addJob();
    const newer = farm.addJob();
    const first = farm.addTask(newer);
    const second = farm.addTask(older);
    expect(await next(farm.addWorker({ name: "a" }))).toBe(first.uuid);
    expect(await next(farm.addWorker({ name: "b" }))).toBe(second.uuid);
  });

  test("fan-out / fan-in runs in creation order", async () => {
    const job = farm.addJob();
    const start = farm.addTask(job);
    const fan = [1, 2, 3].map(() => farm.addTask(job, { dependsOn: [start] }));
    const end = farm.addTask(job, { dependsOn: fan });
    const w = farm.addWorker({ name: "w" });
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await farm.scheduler.scheduleTask(w);
      if (r.kind !== "assigned") throw new Error(`step ${i}: no task`);
      order.push(r.task.uuid);
      await farm.taskUpdates.updateTask(w, r.task.uuid, { taskStatus: "completed" });
    }
    expect(order).toEqual([start, ...fan, end].map((t) => t.uuid));
    expect(await next(w)).toBeNull();
  });

  test("the worker's active task comes back before anything else, unchanged", async () => {
    const w = farm.addWorker({ name: "w", taskTypes: ["blender"] });
    const job = farm.addJob({ status: "active", priority: 10 });
    const mine = farm.addTask(job, { status: "active", worker: w, type: "misc" });
    farm.addTask(farm.addJob({ priority: 100 }), { priority: 100 });
    const before = (await farm.logLines(job, mine)).length;

    const r = await farm.scheduler.scheduleTask(w);
    expect(r.kind === "assigned" && r.task.uuid).toBe(mine.uuid);
    expect((await farm.logLines(job, mine)).slice(before)).toEqual([`Task assigned to worker w (${w.uuid})`]);
    const event = farm.eventsOf("/task").find((e) => e.id === mine.uuid);
    expect(event).toMatchObject({ previous_status: "active", status: "active" });
  });
});

describe("worker state", () => {
  test("a pending status request answers 423, even for a worker in error, and marks it seen", async () => {
    for (const [status, lazy] of [
      ["awake", true],
      ["error", false],
    ] as const) {
      const w = farm.addWorker({ name: `w-${status}`, status });
      farm.db.orm.run(
        sql`UPDATE workers SET status_requested = 'asleep', lazy_status_request = ${lazy ? 1 : 0} WHERE id = ${w.id}`,
      );
      farm.addTask(farm.addJob());
      expect(await farm.scheduler.scheduleTask(w)).toEqual({
        kind: "status-change-requested",
        statusRequested: "asleep",
      });
      expect(farm.worker(w.id).lastSeenAt).toEqual(farm.clock.now());
    }
  });

  test("a worker that is not awake gets 409, and is still marked seen", async () => {
    const w = farm.addWorker({ name: "w", status: "asleep" });
    farm.addTask(farm.addJob());
    const thrown = await rejectedBy(ApiError, () => farm.scheduler.scheduleTask(w));
    expect(thrown.status).toBe(409);
    expect(farm.worker(w.id).lastSeenAt).toEqual(farm.clock.now());
  });
});

describe("variable expansion", () => {
  test("top-level strings and string array elements are expanded for the worker's platform", async () => {
    const f = createFarm({
      platform: "linux",
      variables: {
        blender: {
          values: [
            { audience: "all", platform: "linux", value: "/opt/blender/blender" },
            { audience: "all", platform: "windows", value: "C:\\Blender\\blender.exe" },
          ],
        },
        render: {
          is_twoway: true,
          values: [
            { audience: "all", platform: "linux", value: "/srv/render" },
            { audience: "all", platform: "windows", value: "R:\\" },
          ],
        },
      },
    });
    try {
      const commands = [
        {
          name: "blender-render",
          total_step_count: 3,
          parameters: {
            exe: "{blender}",
            args: ["-o", "{render}/shot/frame-####", 7],
            blendfile: "/srv/render/shot/scene.blend",
            nested: { path: "{blender}" },
            frames: 3,
            "{blender}": "key",
          },
        },
      ];
      const task = f.addTask(f.addJob(), { commands });
      const r = await f.scheduler.scheduleTask(f.addWorker({ name: "win", platform: "windows" }));
      if (r.kind !== "assigned") throw new Error("no task");
      expect(r.task.commands[0]?.parameters).toEqual({
        exe: "C:\\Blender\\blender.exe",
        args: ["-o", "R:\\shot\\frame-####", 7],
        blendfile: "R:\\shot\\scene.blend",
        nested: { path: "{blender}" },
        frames: 3,
        "{blender}": "key",
      });
      expect(f.task(task.id).commands).toEqual(commands);
    } finally {
      f.close();
    }
  });

  test("a configuration reload applies from the next assignment on", async () => {
    const table = (blender: string) =>
      buildVariableTable({ blender: { values: [{ audience: "all", platform: "linux", value: blender }] } });
    let ctx: VariableContext = { variables: table("/opt/blender-4.1/blender"), platform: "linux" };
    const scheduler = createScheduler({
      db: farm.db,
      broker: farm.broker,
      clock: farm.clock,
      taskMachine: farm.stateMachine,
      taskLogs: farm.taskLogs,
      variables: () => ctx,
    });
    const commands = [{ name: "blender-render", total_step_count: 1, parameters: { exe: "{blender}" } }];
    const job = farm.addJob();
    farm.addTask(job, { commands });
    farm.addTask(job, { commands });
    const exeFor = async (name: string) => {
      const r = await scheduler.scheduleTask(farm.addWorker({ name }));
      if (r.kind !== "assigned") throw new Error("no task");
      return r.task.commands[0]?.parameters.exe;
    };

    expect(await exeFor("before")).toBe("/opt/blender-4.1/blender");
    ctx = { variables: table("/opt/blender-4.2/blender"), platform: "linux" };
    expect(await exeFor("after")).toBe("/opt/blender-4.2/blender");
  });
});

describe("performance", () => {
  test("the selection query only searches indexes (no scan of tasks, jobs or dependencies)", async () => {
    const w = farm.addWorker({ name: "w" });
    const plan = farm.db
      .prepare<{ detail: string }>(`EXPLAIN QUERY PLAN ${SCHEDULABLE_TASK_SQL}`)
      .all({ workerId: w.id, types: JSON.stringify(["blender", "ffmpeg"]) })
      .map((r) => r.detail);
    const scans = plan.filter((d) => /^SCAN (t|dep|j|d|tasks|jobs)\b/.test(d));
    if (!plan.some((d) => d.includes("tasks_schedulable_idx"))) {
      throw new Error(
        "the partial index tasks_schedulable_idx (job_id, type, priority DESC, id) WHERE status IN " +
          `('queued', 'soft-failed') AND unmet_dependencies = 0 is missing from src/manager/db/schema.ts; plan:\n${plan.join("\n")}`,
      );
    }
    expect(scans).toEqual([]);
  });

  test("among hundreds of queued tasks of another type a poll finds the ones of a sparse type", async () => {
    // Correctness only: that the query is served by indexes is pinned by the query-plan test above.
    const TASKS = 500;
    const JOBS = 5;
    for (let j = 1; j <= JOBS; j++) {
      farm.addJobWithTasks({
        // Sparse ffmpeg tasks (one in 50) among blender ones.
        tasks: Array.from({ length: TASKS / JOBS }, (_, i) => ({
          type: i % 50 === 49 ? "ffmpeg" : "blender",
        })),
      });
    }
    const w = farm.addWorker({ name: "w", taskTypes: ["ffmpeg"] });
    const first = await farm.scheduler.scheduleTask(w);
    expect(first.kind === "assigned" && first.task.task_type).toBe("ffmpeg");
    // With one assigned, a poll still finds the next task of the sparse type.
    const next = findSchedulableTask(farm.db, { id: w.id, taskTypes: ["ffmpeg"] });
    expect(next?.type).toBe("ffmpeg");
    expect(next?.uuid).not.toBe(first.kind === "assigned" ? first.task.uuid : undefined);
  });
});
