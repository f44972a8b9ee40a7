import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { JobRow, TaskRow, WorkerRow } from "../../../src/manager/db/schema";
import {
  LAST_RENDERED_MAX_BYTES,
  LAST_RENDERED_QUEUE_CAPACITY,
  THUMBNAILS,
} from "../../../src/manager/storage/last-rendered";
import { createFarm, type Farm } from "../../support/task-farm";
import { waitFor } from "../../support/wait";
import { mountTmpfs } from "../../support/tmpfs";

let farm: Farm;
let worker: WorkerRow;
let job: JobRow;
let task: TaskRow;

beforeEach(() => {
  farm = createFarm();
  worker = farm.addWorker({ name: "w" });
  job = farm.addJob({ status: "active" });
  task = farm.addTask(job, { status: "active", worker });
});
afterEach(() => farm.close());

function image(width: number, height: number, format: "png" | "jpeg" = "png"): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } })
    .toFormat(format)
    .toBuffer();
}

function upload(body: Uint8Array, opts: { type?: string; length?: string | null; taskUUID?: string } = {}) {
  const headers: Record<string, string> = { ...farm.auth(worker), "Content-Type": opts.type ?? "image/png" };
  if (opts.length !== null) headers["Content-Length"] = opts.length ?? String(body.length);
  return farm.app.request(`/api/v3/worker/task/${opts.taskUUID ?? task.uuid}/output-produced`, {
    method: "POST",
    headers,
    body: new Uint8Array(body),
  });
}

/** Lets the processor start (it runs on the farm's clock) and waits until it is done. */
async function processQueue(): Promise<void> {
  farm.clock.advance(0);
  await farm.lastRendered.idle();
}

async function sizes(): Promise<[number, number][]> {
  const dir = farm.layout.jobDir(job.uuid);
  return Promise.all(
    THUMBNAILS.map(async (t) => {
      const meta = await sharp(join(dir, t.file)).metadata();
      expect(meta.format).toBe("jpeg");
      return [meta.width, meta.height] as [number, number];
    }),
  );
}

describe("POST output-produced", () => {
  test("202 over real HTTP; three thumbnails, the pointer row, events per job then farm-wide", async () => {
    const server = Bun.serve({ port: 0, fetch: farm.app.fetch });
    try {
      const res = await fetch(new URL(`/api/v3/worker/task/${task.uuid}/output-produced`, server.url), {
        method: "POST",
        headers: { ...farm.auth(worker), "Content-Type": "image/png" },
        body: new Uint8Array(await image(2400, 1200)),
      });
      expect(res.status).toBe(202);
    } finally {
      await server.stop(true);
    }
    expect(farm.eventsOf("/last-rendered")).toEqual([]);
    await processQueue();

    expect(await sizes()).toEqual([
      [1920, 960],
      [600, 300],
      [200, 100],
    ]);
    const thumbnail = {
      base: `/job-files/job-${job.uuid.slice(0, 4)}/${job.uuid}`,
      suffixes: ["last-rendered.jpg", "last-rendered-small.jpg", "last-rendered-tiny.jpg"],
    };
    const lastRenderedEvents = farm.events.filter((e) => e.event === "/last-rendered");
    expect(lastRenderedEvents.map((e) => e.topic)).toEqual([
      `/jobs/${job.uuid}/last-rendered`,
      "/last-rendered",
    ]);
    expect(lastRenderedEvents.map((e) => e.payload)).toEqual([
      { job_id: job.uuid, thumbnail },
      { job_id: job.uuid, thumbnail },
    ]);

    const perJob = await farm.app.request(`/api/v3/jobs/${job.uuid}/last-rendered`);
    expect(await perJob.json()).toEqual(thumbnail);
    const global = await farm.app.request("/api/v3/jobs/last-rendered");
    expect(await global.json()).toEqual(thumbnail);
    const file = await farm.app.request(`${thumbnail.base}/last-rendered-tiny.jpg`);
    expect(file.headers.get("Content-Type")).toBe("image/jpeg");
    expect(farm.worker(worker.id).lastSeenAt).toEqual(farm.clock.now());
  });

  test("small images are never enlarged", async () => {
    expect((await upload(await image(400, 300, "jpeg"), { type: "image/jpeg" })).status).toBe(202);
    await processQueue();
    expect(await sizes()).toEqual([
      [400, 300],
      [400, 300],
      [149, 112],
    ]);
  });

  test(`429 once ${LAST_RENDERED_QUEUE_CAPACITY} images wait; accepted again after processing`, async () => {
    const png = await image(64, 64);
    for (let i = 0; i < LAST_RENDERED_QUEUE_CAPACITY; i++) expect((await upload(png)).status).toBe(202);
    const refused = await upload(png);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ code: 429, message: "image processing queue is full" });
    await processQueue();
    expect((await upload(png)).status).toBe(202);
  });

  test("413 above the size limit, decided on the header before reading the body", async () => {
    const res = await upload(new Uint8Array(16), { length: String(LAST_RENDERED_MAX_BYTES + 1) });
    expect(res.status).toBe(413);
  });

  test("411 without Content-Length, 415 for other types, 404 for an unknown task", async () => {
    const png = await image(8, 8);
    expect((await upload(png, { length: null })).status).toBe(411);
    expect((await upload(png, { type: "image/gif" })).status).toBe(415);
    expect((await upload(png, { taskUUID: crypto.randomUUID() })).status).toBe(404);
  });

  test("an undecodable image is dropped after the 202, with a warning and no event", async () => {
    expect((await upload(new TextEncoder().encode("not an image at all"))).status).toBe(202);
    await processQueue();
    expect(farm.eventsOf("/last-rendered")).toEqual([]);
    expect(existsSync(farm.layout.jobDir(job.uuid))).toBe(false);
    expect(farm.warnings.some((w) => w.includes(`dropping image of job ${job.uuid}`))).toBe(true);
  });
});

describe("trouble", () => {
  test("an upload aborted mid-body is a warning that the client went away, not an internal error", async () => {
    const server = Bun.serve({ port: 0, fetch: farm.app.fetch });
    try {
      const socket = await Bun.connect({
        hostname: "127.0.0.1",
        port: Number(server.url.port),
        socket: { data() {} },
      });
      const headers = { ...farm.auth(worker), "Content-Type": "image/png", "Content-Length": "100000" };
      socket.write(
        `POST /api/v3/worker/task/${task.uuid}/output-produced HTTP/1.1\r\nHost: localhost\r\n` +
          Object.entries(headers)
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join("") +
          "\r\n",
      );
      socket.write(new Uint8Array(1000));
      socket.end();
      const warning = await waitFor("the warning", () => farm.warnings.find((w) => w.includes("went away")));
      expect(warning).toBe(
        `last-rendered: the client went away while uploading an image of job ${job.uuid} ` +
          "(the connection closed before its 100000 bytes arrived)",
      );
    } finally {
      await server.stop(true);
    }
    expect(farm.warnings.filter((w) => w.includes("internal error"))).toEqual([]);
    await processQueue();
    expect(existsSync(farm.layout.jobDir(job.uuid))).toBe(false);
  });

  test("a full storage folder: the image is dropped with a warning naming the file and the error, no temporary file is left, and the next image works", async () => {
    mkdirSync(farm.layout.root, { recursive: true });
    const disk = mountTmpfs(farm.layout.root, 1024 * 1024);
    try {
      disk.fill();
      expect((await upload(await image(800, 600))).status).toBe(202);
      await processQueue();
      const path = join(farm.layout.jobDir(job.uuid), THUMBNAILS[0].file);
      expect(farm.warnings).toContain(
        `last-rendered: dropping image of job ${job.uuid}: cannot write ${path}: ENOSPC: no space left on device, write`,
      );
      expect(readdirSync(farm.layout.jobDir(job.uuid))).toEqual([]);
      expect(farm.eventsOf("/last-rendered")).toEqual([]);

      disk.free();
      expect((await upload(await image(800, 600))).status).toBe(202);
      await processQueue();
      expect(readdirSync(farm.layout.jobDir(job.uuid)).sort()).toEqual(THUMBNAILS.map((t) => t.file).sort());
      expect(farm.eventsOf("/last-rendered")).toHaveLength(2);
    } finally {
      disk.unmount();
    }
  });
});

describe("a job that goes away", () => {
  test("an image of a job marked for deletion while queued leaves no files and no pointer", async () => {
    expect((await upload(await image(32, 32))).status).toBe(202);
    farm.sqlite.run("UPDATE jobs SET delete_requested_at = ? WHERE id = ?", [
      farm.clock.now().getTime(),
      job.id,
    ]);
    await processQueue();
    expect(existsSync(farm.layout.jobDir(job.uuid))).toBe(false);
    expect(farm.eventsOf("/last-rendered")).toEqual([]);
    expect((await farm.app.request("/api/v3/jobs/last-rendered")).status).toBe(204);
  });
});

describe("info without images", () => {
  test("204 for a job without image and for a farm without any", async () => {
    expect((await farm.app.request(`/api/v3/jobs/${job.uuid}/last-rendered`)).status).toBe(204);
    expect((await farm.app.request("/api/v3/jobs/last-rendered")).status).toBe(204);
  });
});
