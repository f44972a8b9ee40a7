// End to end with the real Blender (Debian's `blender` package, which CI installs): a tiny Cycles
// scene made by the test renders through a simple-blender-render job on a real `bun run worker`,
// and the frames, the preview video and the last-rendered thumbnail are checked. Also: a worker
// without Blender fails its render task with a message naming the Manager's `blender` variable.
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { z } from "zod";
import { killChildren, managerApi, startWorker } from "../support/processes";
import { startTestManager, type TestManager } from "../support/manager";
import { tempDirs } from "../support/temp-dirs";
import {
  BLENDER,
  FRAMES,
  HEIGHT_PX,
  WIDTH_PX,
  blenderEnv,
  makeScene,
  renderJob,
  requireBlender,
} from "../support/blender-scene";
import { waitFor } from "../support/wait";

// Registered first, so the worker processes are gone before their folders are removed.
afterAll(killChildren);
const tempDir = tempDirs("tablao-blender-e2e");
const managers: TestManager[] = [];
afterAll(() => Promise.all(managers.map((m) => m.destroy())));

const JOB_TIMEOUT_MS = 45_000;

// The fields the tests read from the Manager's answers; zod drops the rest.
const WithId = z.object({ id: z.string() });
const WithStatus = z.object({ status: z.string() });
const WorkersAnswer = z.object({ workers: z.array(WithStatus) });
const TaskSummary = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  steps_completed: z.number(),
});
const TasksAnswer = z.object({ tasks: z.array(TaskSummary) });
const TaskAnswer = z.object({ status: z.string(), activity: z.string() });
const LastRenderedAnswer = z.object({ base: z.string(), suffixes: z.array(z.string()) });
const FFprobeAnswer = z.object({
  streams: z.array(
    z.object({ codec_name: z.string(), width: z.number(), height: z.number(), nb_read_frames: z.string() }),
  ),
});

type Api = ReturnType<typeof managerApi>;

async function startManager(config: Record<string, unknown> = {}): Promise<TestManager> {
  const manager = await startTestManager({ dir: tempDir(), config });
  managers.push(manager);
  return manager;
}

async function awakeWorker(api: Api): Promise<void> {
  await waitFor(
    "the worker to be awake",
    async () =>
      WorkersAnswer.parse(await api.get("/api/v3/worker-mgt/workers")).workers.some(
        (w) => w.status === "awake",
      ),
    15_000,
  );
}

async function jobTasks(api: Api, jobId: string) {
  return TasksAnswer.parse(await api.get(`/api/v3/jobs/${jobId}/tasks`)).tasks;
}

/** Every task's log, for the message of a failed wait. */
async function allTaskLogs(api: Api, jobId: string): Promise<string> {
  const logs = await Promise.all(
    (await jobTasks(api, jobId)).map(async (t) => `--- ${t.name} (${t.status})\n${await api.taskLog(t.id)}`),
  );
  return logs.join("\n");
}

async function ffprobe(path: string) {
  const proc = Bun.spawn(
    [
      "ffprobe",
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-count_frames",
      "-show_entries",
      "stream=codec_name,width,height,nb_read_frames",
      "-of",
      "json",
      path,
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`ffprobe ${path} exited ${code}: ${err}`);
  return FFprobeAnswer.parse(JSON.parse(out)).streams[0];
}

describe("Blender end to end", () => {
  test("a real Blender renders a simple-blender-render job: frames, preview video, last-rendered image", async () => {
    requireBlender();
    const dir = tempDir();
    const env = blenderEnv(tempDir());
    const blendfile = join(dir, "scene.blend");
    await makeScene(blendfile, env);

    // Only `blender` is set; `blenderArgs` keeps the Manager's default, Flamenco's "-b -y".
    const manager = await startManager({
      variables: { blender: { values: [{ platform: "linux", value: BLENDER }] } },
    });
    const api = managerApi(manager.url);
    startWorker(manager.url, { name: "blender-1", home: tempDir(), env });
    await awakeWorker(api);

    const job = WithId.parse(await api.post("/api/v3/jobs", renderJob(dir, blendfile, 2)));
    await waitFor(
      "the render job to complete",
      async () => {
        const { status } = WithStatus.parse(await api.get(`/api/v3/jobs/${job.id}`));
        if (status === "failed") throw new Error(`the job failed:\n${await allTaskLogs(api, job.id)}`);
        return status === "completed";
      },
      JOB_TIMEOUT_MS,
    );

    const renderDir = join(dir, "out", "render");
    const frameFiles = FRAMES.map((f) => `${String(f).padStart(6, "0")}.png`);
    expect(
      readdirSync(renderDir)
        .filter((f) => f.endsWith(".png"))
        .sort(),
    ).toEqual(frameFiles);
    const pixels: Buffer[] = [];
    for (const file of frameFiles) {
      const image = sharp(join(renderDir, file));
      expect(await image.metadata()).toMatchObject({ format: "png", width: WIDTH_PX, height: HEIGHT_PX });
      pixels.push(await image.raw().toBuffer());
    }
    // The cube moves: the first and last frames differ.
    expect(pixels[0]?.equals(pixels.at(-1) ?? Buffer.alloc(0))).toBe(false);

    const video = await ffprobe(join(renderDir, `scene-${FRAMES[0]}-${FRAMES.at(-1)}.mp4`));
    expect(video).toEqual({
      codec_name: "h264",
      width: WIDTH_PX,
      height: HEIGHT_PX,
      nb_read_frames: String(FRAMES.length),
    });

    const tasks = await jobTasks(api, job.id);
    expect(tasks.map((t) => [t.name, t.status, t.steps_completed])).toEqual([
      ["render-1,2", "completed", 2],
      ["render-3", "completed", 1],
      ["preview-video", "completed", 1],
    ]);
    const renderLog = await api.taskLog(tasks[0]?.id ?? "");
    expect(renderLog).toContain(`${BLENDER} -b -y ${blendfile} --scene Scene`);
    expect(renderLog).toMatch(/pid=\d+ > Saved: '.*000002\.png'/);

    // The worker uploads the previews on its own schedule; the Manager then makes the thumbnails.
    const info = await waitFor(
      "a last-rendered image",
      async () => {
        const res = await fetch(`${manager.url}/api/v3/jobs/${job.id}/last-rendered`);
        return res.status === 200 ? LastRenderedAnswer.parse(await res.json()) : null;
      },
      10_000,
    );
    expect(info.suffixes).toContain("last-rendered.jpg");
    const res = await fetch(`${manager.url}${info.base}/last-rendered.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    // Thumbnails are never enlarged: the largest is the frame's own size.
    expect(await sharp(await res.bytes()).metadata()).toMatchObject({
      format: "jpeg",
      width: WIDTH_PX,
      height: HEIGHT_PX,
    });
  }, 60_000);

  test("a worker without Blender on its PATH fails the render naming the Manager's blender variable", async () => {
    const dir = tempDir();
    const manager = await startManager();
    const api = managerApi(manager.url);
    // Nothing on PATH: the worker itself is started by its full path, and runs children via /bin/sh.
    const worker = startWorker(manager.url, {
      name: "no-blender",
      home: tempDir(),
      env: { PATH: tempDir() },
    });
    await awakeWorker(api);

    const job = WithId.parse(await api.post("/api/v3/jobs", renderJob(dir, join(dir, "scene.blend"), 3)));
    const taskId = (await jobTasks(api, job.id)).find((t) => t.name.startsWith("render-"))?.id ?? "";
    const expected =
      `Failed: Blender not found: "blender" is not on this worker's PATH. The Manager's "blender" ` +
      `variable decides which Blender workers run: set it (per platform) in the Manager's settings ` +
      `or flamenco-manager.yaml, or put Blender on this worker's PATH. ` +
      `(exec: "blender": executable file not found in $PATH)`;
    const log = await waitFor(
      "the failure in the task log",
      async () => {
        const text = await api.taskLog(taskId);
        return text.includes(expected) ? text : null;
      },
      15_000,
    );
    // What it tried to run comes first, with the Manager's default variables expanded.
    expect(log).toContain(`going to run:\n\n    blender -b -y ${join(dir, "scene.blend")} --scene Scene`);
    const task = TaskAnswer.parse(await api.get(`/api/v3/tasks/${taskId}`));
    // The only worker failed it, so the task's reason also says no worker is left to run it.
    expect(task.activity).toContain(expected);
    expect(["soft-failed", "failed"]).toContain(task.status);
    // The worker said so at start-up already.
    expect(worker.log()).toContain(
      `Blender: no blender on PATH; render tasks fail unless the Manager's "blender" variable gives the full path`,
    );
  }, 30_000);
});
