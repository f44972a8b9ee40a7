import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { Logger } from "../../src/shared/log";
import { PreviewUploader } from "../../src/worker/previews";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";
import { submitCommands, takeTask, testWorker, useProxiedManager } from "./farm";

const tempDir = tempDirs("tablao-previews");
let dir: string;
let taskId: string;
let jobId: string;
let uploader: PreviewUploader;
const stop = new AbortController();
let loop: Promise<void>;
// Declared before useProxiedManager, so the uploader stops before the proxy and the Manager do.
afterAll(async () => {
  stop.abort();
  await loop;
});
const farm = useProxiedManager();

/** What the uploader logged, as "level message" lines. */
const logged: string[] = [];
const recordingLogger: Logger = (level, msg) => void logged.push(`${level} ${msg}`);

const uploads = () => farm.proxy.requests.filter((r) => r.path.endsWith("/output-produced"));

async function png(name: string, width: number, height: number): Promise<string> {
  const path = join(dir, name);
  await sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 30 } } })
    .png()
    .toFile(path);
  return path;
}

beforeAll(async () => {
  dir = tempDir();
  const worker = await testWorker(farm.proxy.url);
  jobId = await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message: "x" } }]);
  taskId = (await takeTask(worker)).uuid;
  uploader = new PreviewUploader({ api: worker.api, log: recordingLogger, busyBackoffMs: 50 });
});

test("only the newest of several waiting images is sent, as a JPEG that fits 1920×1080", async () => {
  const older = await png("older.png", 100, 100);
  const newest = await png("newest.png", 3840, 960);
  uploader.offer(taskId, older);
  uploader.offer(taskId, newest);
  loop = uploader.run(stop.signal);
  await waitFor("an upload", () => uploads().length === 1, 5_000);
  const [sent] = uploads();
  if (!sent) throw new Error("no upload was recorded");
  expect(sent.status).toBe(202);
  expect(sent.contentType).toBe("image/jpeg");
  expect(await sharp(sent.body).metadata()).toMatchObject({ format: "jpeg", width: 1920, height: 480 });
  await waitFor(
    "the Manager to show it as last rendered",
    async () => (await fetch(`${farm.manager.url}/api/v3/jobs/${jobId}/last-rendered`)).status === 200,
    5_000,
  );
});

test("formats that cannot be previewed (EXR) do not push out a usable image", async () => {
  const before = uploads().length;
  const exr = join(dir, "frame.exr");
  writeFileSync(exr, "not really an exr");
  const usable = await png("usable.png", 64, 64);
  uploader.offer(taskId, usable);
  uploader.offer(taskId, exr);
  await waitFor("the PNG upload", () => uploads().length === before + 1, 5_000);
  expect((await sharp(uploads().at(-1)!.body).metadata()).width).toBe(64);
});

test("a busy Manager (429) makes the uploader pause, then it carries on", async () => {
  const before = uploads().length;
  let refused = false;
  farm.proxy.fail((_m, path) => {
    if (refused || !path.endsWith("/output-produced")) return null;
    refused = true;
    return Response.json({ code: 429, message: "queue full" }, { status: 429 });
  });
  try {
    uploader.offer(taskId, await png("busy.png", 32, 32));
    await waitFor("the refused upload", () => uploads().length === before + 1, 5_000);
    uploader.offer(taskId, await png("later.png", 48, 48));
    await waitFor("the next upload", () => uploads().length === before + 2, 5_000);
    expect(
      uploads()
        .map((u) => u.status)
        .slice(-2),
    ).toEqual([429, 202]);
  } finally {
    farm.proxy.fail(null);
  }
});

test("an unreadable image is skipped and the next one still goes", async () => {
  const before = uploads().length;
  const broken = join(dir, "broken.png");
  writeFileSync(broken, "not a png");
  uploader.offer(taskId, broken);
  // Offered only once the broken image was tried, so the good one cannot replace it in the slot.
  await waitFor(
    "the broken image to be tried",
    () => logged.some((line) => line.startsWith(`warn cannot make a preview of ${broken}:`)),
    5_000,
  );
  uploader.offer(taskId, await png("fine.png", 16, 16));
  await waitFor("the good upload", () => uploads().length === before + 1, 5_000);
  expect(uploads().at(-1)!.status).toBe(202);
});
