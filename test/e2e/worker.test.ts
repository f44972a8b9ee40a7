// End to end: a real Manager and real workers as processes, jobs driven through the HTTP API.
// Workers run with TABLAO_WORKER_TIME_SCALE=0.1 so that a farm's polling fits in a test run.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  alive,
  killChildren,
  managerApi,
  REPO_ROOT,
  startManager as startManagerIn,
  startWorker as startWorkerIn,
  type WorkerProcess,
} from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

// Registered first, so the children are gone before their folders are removed.
afterAll(killChildren);
const tempDir = tempDirs("tablao-e2e");
const startManager = (config: Record<string, unknown> = {}) => startManagerIn(tempDir(), config);
const startWorker = (managerUrl: string, name: string) =>
  startWorkerIn(managerUrl, { name, home: tempDir() });

const BLENDER_STANDIN = join(REPO_ROOT, "test/support/blender-standin.ts");
/** How long the Manager stays away in the outage test (the scenario, not a wait for something). */
const MANAGER_OUTAGE_MS = 10_000;

type Api = ReturnType<typeof managerApi>;

// The fields the tests read from the Manager's answers; zod drops the rest.
const WithId = z.object({ id: z.string() });
const WithStatus = z.object({ status: z.string() });
const WorkersAnswer = z.object({ workers: z.array(WithStatus) });
const WorkerAnswer = z.object({ status: z.string(), last_seen: z.string() });
const TaskAnswer = z.object({ status: z.string(), activity: z.string() });
const TaskSummary = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  steps_completed: z.number(),
  worker: z.object({ id: z.string(), name: z.string() }).optional(),
});
type TaskSummary = z.infer<typeof TaskSummary>;
const TasksAnswer = z.object({ tasks: z.array(TaskSummary) });
const LastRenderedAnswer = z.object({ suffixes: z.array(z.string()) });

/** `value`, or a clear error naming what was missing. */
function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`no ${what}`);
  return value;
}

/** Manager variables that make `{blender}` the stand-in, taking `frameMs` per frame. */
function standInBlender(frameMs: number) {
  return {
    variables: {
      blender: { values: [{ platform: "all", value: process.execPath }] },
      blenderArgs: {
        values: [{ platform: "all", value: `${BLENDER_STANDIN} -b -y --standin-frame-ms ${frameMs}` }],
      },
    },
  };
}

function renderJob(dir: string, frames: string, chunkSize: number) {
  return {
    name: "render",
    type: "simple-blender-render",
    priority: 50,
    submitter_platform: "linux",
    settings: {
      frames,
      chunk_size: chunkSize,
      render_output_root: join(dir, "out"),
      add_path_components: 0,
      render_output_path: join(dir, "out", "render", "######"),
      blendfile: join(dir, "scene.blend"),
      fps: 24,
      format: "PNG",
      image_file_extension: ".png",
      has_previews: false,
      scene: "Scene",
    },
  };
}

function echoSleepJob(message: string, sleepSeconds: number, repeats: number) {
  return {
    name: `echo-sleep ${message}`,
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message, sleep_duration_seconds: sleepSeconds, sleep_repeats: repeats },
  };
}

async function awakeWorkers(api: Api, count: number): Promise<void> {
  await waitFor(
    `${count} awake workers`,
    async () =>
      WorkersAnswer.parse(await api.get("/api/v3/worker-mgt/workers")).workers.filter(
        (w) => w.status === "awake",
      ).length === count,
    10_000,
  );
}

async function jobStatus(api: Api, jobId: string): Promise<string> {
  return WithStatus.parse(await api.get(`/api/v3/jobs/${jobId}`)).status;
}

async function workerStatus(api: Api, workerId: string): Promise<string> {
  return WithStatus.parse(await api.get(`/api/v3/worker-mgt/workers/${workerId}`)).status;
}

async function jobTasks(api: Api, jobId: string): Promise<TaskSummary[]> {
  return TasksAnswer.parse(await api.get(`/api/v3/jobs/${jobId}/tasks`)).tasks;
}

/** The first task of the job named `name` that is active on a worker, once there is one. */
async function activeTask(
  api: Api,
  jobId: string,
  name: string,
): Promise<TaskSummary & { worker: NonNullable<TaskSummary["worker"]> }> {
  return waitFor(
    `an active ${name} task`,
    async () => {
      const task = (await jobTasks(api, jobId)).find(
        (t) => t.name.startsWith(name) && t.status === "active" && t.worker,
      );
      const worker = task?.worker;
      return task && worker ? { ...task, worker } : null;
    },
    15_000,
  );
}

function queuedUpdates(worker: WorkerProcess): number {
  const db = new Database(join(worker.home, "flamenco-worker.sqlite"), { readonly: true });
  try {
    const row = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM task_updates").get();
    return required(row, "task_updates count").n;
  } finally {
    db.close();
  }
}

describe("worker end to end", () => {
  test("two workers run an echo-sleep-test job to completed, with every printed line in the task logs", async () => {
    const manager = await startManager();
    const api = managerApi(manager.url);
    startWorker(manager.url, "echo-1");
    startWorker(manager.url, "echo-2");
    await awakeWorkers(api, 2);

    const job = WithId.parse(await api.post("/api/v3/jobs", echoSleepJob("Hello from the e2e test", 1, 4)));
    await waitFor("the job to complete", async () => (await jobStatus(api, job.id)) === "completed", 20_000);

    const tasks = await jobTasks(api, job.id);
    expect(tasks).toHaveLength(5);
    expect(new Set(tasks.map((t) => t.worker?.name))).toEqual(new Set(["echo-1", "echo-2"]));
    for (const task of tasks) {
      expect(task.status).toBe("completed");
      const log = await api.taskLog(task.id);
      expect(log).toContain(task.name === "echo" ? 'echo: "Hello from the e2e test"' : "slept 1s");
    }
  }, 40_000);

  test("simple-blender-render: frames render, previews reach the Manager, the video is made", async () => {
    const dir = tempDir();
    const manager = await startManager(standInBlender(100));
    const api = managerApi(manager.url);
    startWorker(manager.url, "render-1");
    startWorker(manager.url, "render-2");
    await awakeWorkers(api, 2);

    const job = WithId.parse(await api.post("/api/v3/jobs", renderJob(dir, "1-4", 2)));
    await waitFor(
      "the render job to complete",
      async () => {
        const status = await jobStatus(api, job.id);
        if (status === "failed") throw new Error("job failed");
        return status === "completed";
      },
      30_000,
    );

    const renderDir = join(dir, "out", "render");
    expect(
      readdirSync(renderDir)
        .filter((f) => f.endsWith(".png"))
        .sort(),
    ).toEqual(["000001.png", "000002.png", "000003.png", "000004.png"]);
    const video = join(renderDir, "scene-1-4.mp4");
    expect(existsSync(video)).toBe(true);
    expect(statSync(video).size).toBeGreaterThan(0);
    expect(readFileSync(video).subarray(4, 8).toString()).toBe("ftyp");

    const res = await waitFor(
      "a last-rendered image",
      async () => {
        const r = await fetch(`${manager.url}/api/v3/jobs/${job.id}/last-rendered`);
        return r.status === 200 ? r : null;
      },
      10_000,
    );
    expect(LastRenderedAnswer.parse(await res.json()).suffixes).toContain("last-rendered.jpg");

    const tasks = await jobTasks(api, job.id);
    const renders = tasks.filter((t) => t.name.startsWith("render-"));
    expect(renders).toHaveLength(2);
    for (const task of renders) {
      expect(task.steps_completed).toBe(2);
      const log = await api.taskLog(task.id);
      // Both output styles, stdout and stderr, every line of the stand-in.
      expect(log).toMatch(/pid=\d+ > Saved: '.*\d{5}[13]\.png'/);
      expect(log).toMatch(/pid=\d+ > \d\d:\d\d\.\d{3} {2}render +\| Saved: '.*\d{5}[24]\.png'/);
      expect(log).toContain("> Warning: this is a stand-in, not Blender");
      expect(log).toContain("> Blender quit");
    }
    const videoTask = required(
      tasks.find((t) => t.name === "preview-video"),
      "preview-video task",
    );
    const videoLog = await api.taskLog(videoTask.id);
    expect(videoLog).toContain("-pattern_type glob");
  }, 50_000);

  test("a worker killed mid-task: the worker timeout requeues its task, the other worker finishes it", async () => {
    // A short worker_timeout makes the Manager check after 5 × 3 s and then every 3 s. The task
    // timeout stays long: it would fail the dead worker's task instead of requeueing it.
    const manager = await startManager({ task_timeout: "1m", worker_timeout: "3s" });
    const api = managerApi(manager.url);
    const workers = [startWorker(manager.url, "kill-1"), startWorker(manager.url, "kill-2")];
    await awakeWorkers(api, 2);

    const job = WithId.parse(await api.post("/api/v3/jobs", echoSleepJob("kill", 3, 1)));
    const task = await activeTask(api, job.id, "sleep");
    const victim = required(
      workers.find((w) => w.workerId() === task.worker.id),
      `worker process with id ${task.worker.id}`,
    );
    const survivor = required(
      workers.find((w) => w !== victim),
      "surviving worker",
    );
    await victim.stop("SIGKILL");

    await waitFor("the job to complete", async () => (await jobStatus(api, job.id)) === "completed", 30_000);
    const victimId = required(victim.workerId(), "id of the killed worker");
    expect(await workerStatus(api, victimId)).toBe("error");
    const done = required(
      (await jobTasks(api, job.id)).find((t) => t.id === task.id),
      `task ${task.id} in the job's tasks`,
    );
    expect(done.worker?.id).toBe(required(survivor.workerId(), "id of the surviving worker"));
    const log = await api.taskLog(task.id);
    expect(log).toContain("slept 3s");
    expect(log).toContain("kill-1" === victim.name ? "kill-2" : "kill-1");

    // Restarted, the dead worker signs on with the identity it had and is back at work.
    victim.restart();
    await waitFor(
      "the restarted worker to be awake",
      async () => {
        return (await workerStatus(api, victimId)) === "awake";
      },
      10_000,
    );
    expect(victim.workerId()).toBe(victimId);
  }, 60_000);

  test("the Manager away for 10 s mid-job: workers queue their updates, deliver them, the job completes", async () => {
    const manager = await startManager();
    const api = managerApi(manager.url);
    const workers = [startWorker(manager.url, "outage-1"), startWorker(manager.url, "outage-2")];
    await awakeWorkers(api, 2);

    const job = WithId.parse(await api.post("/api/v3/jobs", echoSleepJob("outage", 2, 4)));
    await activeTask(api, job.id, "sleep");
    const stoppedAt = Date.now();
    await manager.stop("SIGTERM");
    await waitFor(
      "task updates queued on a worker",
      () => workers.some((w) => queuedUpdates(w) > 0),
      MANAGER_OUTAGE_MS,
    );
    await Bun.sleep(Math.max(0, MANAGER_OUTAGE_MS - (Date.now() - stoppedAt)));
    await manager.restart();

    await waitFor("the job to complete", async () => (await jobStatus(api, job.id)) === "completed", 20_000);
    await waitFor("the queues to be empty", () => workers.every((w) => queuedUpdates(w) === 0), 10_000);
    for (const task of await jobTasks(api, job.id)) {
      expect(task.status).toBe("completed");
      const log = await api.taskLog(task.id);
      expect(log).toContain(task.name === "echo" ? 'echo: "outage"' : "slept 2s");
    }
  }, 50_000);

  test("an immediate status change to asleep stops the running task; the worker sleeps until woken", async () => {
    const manager = await startManager();
    const api = managerApi(manager.url);
    const worker = startWorker(manager.url, "sleepy");
    await awakeWorkers(api, 1);

    const job = WithId.parse(await api.post("/api/v3/jobs", echoSleepJob("sleepy", 6, 1)));
    const task = await activeTask(api, job.id, "sleep");
    const workerId = required(worker.workerId(), "id of the worker");
    await api.post(`/api/v3/worker-mgt/workers/${workerId}/setstatus`, { status: "asleep", is_lazy: false });

    await waitFor(
      "the worker to be asleep",
      async () => (await workerStatus(api, workerId)) === "asleep",
      5_000,
    );
    const stopped = WithStatus.parse(await api.get(`/api/v3/tasks/${task.id}`));
    expect(stopped.status).toBe("queued");
    expect(await api.taskLog(task.id)).not.toContain("slept");

    // Still asleep while it keeps calling in (last_seen moves), and the task stays queued.
    const seen = new Set<string>();
    await waitFor(
      "the asleep worker to call in twice",
      async () => {
        const w = WorkerAnswer.parse(await api.get(`/api/v3/worker-mgt/workers/${workerId}`));
        expect(w.status).toBe("asleep");
        expect(WithStatus.parse(await api.get(`/api/v3/tasks/${task.id}`)).status).toBe("queued");
        seen.add(w.last_seen);
        return seen.size >= 3;
      },
      5_000,
    );

    await api.post(`/api/v3/worker-mgt/workers/${workerId}/setstatus`, { status: "awake", is_lazy: false });
    await waitFor(
      "the job to complete after waking",
      async () => (await jobStatus(api, job.id)) === "completed",
      15_000,
    );
    expect(await api.taskLog(task.id)).toContain("slept 6s");
  }, 40_000);

  test("SIGTERM mid-render: the worker stops Blender, delivers its updates, signs off and exits", async () => {
    const dir = tempDir();
    const manager = await startManager(standInBlender(60_000));
    const api = managerApi(manager.url);
    const worker = startWorker(manager.url, "sigterm");
    await awakeWorkers(api, 1);

    const job = WithId.parse(await api.post("/api/v3/jobs", renderJob(dir, "1", 1)));
    const task = await activeTask(api, job.id, "render");
    // The log chunk with Blender's first lines arrives after the chunker's maximum age (3 s here).
    const log = await waitFor(
      "Blender's output in the task log",
      async () => {
        const text = await api.taskLog(task.id);
        return /pid=\d+ > Fra:1/.test(text) ? text : null;
      },
      10_000,
    );
    const blenderPid = Number(required(/pid=(\d+) >/.exec(log)?.[1], "Blender pid in the task log"));
    expect(alive(blenderPid)).toBe(true);

    const started = Date.now();
    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await waitFor("Blender to be gone", () => !alive(blenderPid), 5_000);
    expect(worker.log()).toContain("signed off (204)");
    const workerId = required(worker.workerId(), "id of the worker");
    expect(await workerStatus(api, workerId)).toBe("offline");
    const after = TaskAnswer.parse(await api.get(`/api/v3/tasks/${task.id}`));
    expect(after.status).toBe("queued");
    expect(after.activity).not.toMatch(/^Failed/);
  }, 30_000);
});
