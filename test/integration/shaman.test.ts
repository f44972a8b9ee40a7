// Shaman end to end with real processes: a Manager (`bun src/manager/main.ts`) with Shaman on,
// a client following the Blender add-on's flow, and a real worker running a job that reads the
// checked-out files; and a Manager killed (SIGKILL) in the middle of an upload.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { killChildren, managerApi, runServerCommand, startManager, startWorker } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";
import { shamanClient, type LocalFile } from "../manager/shaman/addon-client";
import { tree } from "../manager/shaman/fixture";
import { rawUpload } from "../manager/shaman/raw-upload";

afterAll(killChildren);
const tempDir = tempDirs("tablao-shaman-e2e");
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const bytes = (text: string) => new TextEncoder().encode(text);

/** A job type that runs `sha256sum` on the files named in its `files` setting (comma-separated). */
const CHECKSUM_JOB_TYPE = `
const JOB_TYPE = {
  label: "Checksum files",
  settings: [{ key: "files", type: "string", required: true }],
};
function compileJob(job) {
  const task = author.Task("checksum", "misc");
  task.addCommand(author.Command("exec", { exe: "sha256sum", args: job.settings.files.split(",") }));
  job.addTask(task);
}
`;

const Job = z.object({ id: z.string(), status: z.string() });
const Tasks = z.object({ tasks: z.array(z.object({ id: z.string(), status: z.string() })) });

describe("the add-on's flow against a real Manager and worker", () => {
  test("a project with duplicates is uploaded once per file, checked out, and read by a job", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "scripts"));
    writeFileSync(join(dir, "scripts", "checksum_files.js"), CHECKSUM_JOB_TYPE);
    const manager = await startManager(dir, { shaman: { enabled: true } });
    const shared = join(dir, "shared");

    const texture = crypto.getRandomValues(new Uint8Array(50_000));
    const project: LocalFile[] = [
      { path: "scene.blend", data: bytes("BLENDER-v404 scene") },
      { path: "textures/wood.png", data: texture },
      { path: "textures/copy of wood.png", data: texture },
      { path: "lib/props/chair.blend", data: bytes("BLENDER-v404 chair") },
      { path: "lib/props/table.blend", data: bytes("BLENDER-v404 chair") },
      { path: "caches/ü-frame_001.vdb", data: crypto.getRandomValues(new Uint8Array(300_000)) },
    ];
    const client = shamanClient(manager.url);
    const packed = await client.pack(project, "project/scene");
    expect(packed).toEqual({
      checkoutPath: "project/scene",
      stored: 4,
      alreadyStored: 0,
      deferred: 0,
      skippedByStatusCheck: 0,
    });
    const blobs = tree(join(shared, "file-store/stored")).filter((p) => p.endsWith(".blob"));
    expect(blobs).toHaveLength(4);
    const checkout = join(shared, "jobs/project/scene");
    for (const f of project) expect(readlinkSync(join(checkout, f.path))).toStartWith("../");

    // The same project again (another artist): nothing is uploaded, the checkout gets a suffix.
    const again = await client.pack(project, "project/scene");
    expect(again.stored + again.alreadyStored).toBe(0);
    expect(again.checkoutPath).toMatch(/^project\/scene-[a-z0-9]{4}$/);

    const worker = startWorker(manager.url, { name: "shaman-reader", home: tempDir() });
    const api = managerApi(manager.url);
    const files = project.map((f) => `{jobs}/${packed.checkoutPath}/${f.path}`).join(",");
    const job = Job.parse(
      await api.post("/api/v3/jobs", {
        name: "read the checkout",
        type: "checksum-files",
        priority: 50,
        submitter_platform: "linux",
        settings: { files },
        storage: { shaman_checkout_id: packed.checkoutPath },
      }),
    );
    await waitFor(
      "the job to complete",
      async () => Job.parse(await api.get(`/api/v3/jobs/${job.id}`)).status === "completed",
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nworker:\n${worker.log().slice(-3000)}\nmanager:\n${manager.log()}`);
    });
    const [task] = Tasks.parse(await api.get(`/api/v3/jobs/${job.id}/tasks`)).tasks;
    const log = await api.taskLog(task!.id);
    for (const f of project) {
      const data = f.data as Uint8Array;
      expect(log).toContain(`${sha256(data)}  ${join(shared, "jobs", packed.checkoutPath, f.path)}`);
    }

    await api.delete(`/api/v3/jobs/${job.id}`);
    await waitFor("the checkout to be removed", () => !existsSync(checkout), 10_000);
    expect(existsSync(join(shared, "jobs", again.checkoutPath))).toBe(true);
    expect(tree(join(shared, "file-store/stored")).filter((p) => p.endsWith(".blob"))).toHaveLength(4);
    await worker.stop();
    await manager.stop();
  }, 90_000);
});

describe("a Manager killed mid-upload", () => {
  test("leaves no blob under stored/, and forgets the upload after a restart", async () => {
    const dir = tempDir();
    const manager = await startManager(dir, { shaman: { enabled: true } });
    const shared = join(dir, "shared");
    const size = 16 * 1024 * 1024;
    const data = crypto.getRandomValues(new Uint8Array(65536));
    const chunk = (offset: number, max: number) =>
      data.subarray(offset % data.length, Math.min(data.length, (offset % data.length) + max));
    const full = new Uint8Array(size);
    for (let i = 0; i < size; i += data.length) full.set(data, i);
    const sha = sha256(full);
    const path = `/api/v3/shaman/files/${sha}/${size}`;
    const up = rawUpload({ url: manager.url, path, size, chunk, sendBytes: size / 2 });
    await up.sent;
    const uploading = join(shared, "file-store/uploading");
    await waitFor("the upload's temporary file", () => tree(uploading).some((p) => p.endsWith(".tmp")));

    await manager.stop("SIGKILL");
    up.destroy();
    expect(tree(join(shared, "file-store/stored")).filter((p) => p.endsWith(".blob"))).toEqual([]);

    await manager.restart();
    const status = async () =>
      z.object({ status: z.string() }).parse(await (await fetch(`${manager.url}${path}`)).json()).status;
    expect(await status()).toBe("unknown");
    await waitFor(
      "the leftovers to be removed",
      () => !existsSync(uploading) || readdirSync(uploading).length === 0,
    );
    const res = await fetch(`${manager.url}${path}`, { method: "POST", body: full });
    expect(res.status).toBe(204);
    expect(await status()).toBe("stored");
    await manager.stop();
  }, 60_000);
});

describe("shaman-gc on the command line", () => {
  test("lists, then deletes, old unreferenced blobs while the Manager serves", async () => {
    const dir = tempDir();
    const manager = await startManager(dir, { shaman: { enabled: true } });
    const shared = join(dir, "shared");
    const client = shamanClient(manager.url);
    await client.pack([{ path: "kept.blend", data: bytes("kept, in a checkout") }], "job");
    await client.pack(
      [
        { path: "other", data: bytes("old and unused") },
        { path: "new", data: bytes("recent") },
      ],
      "gone",
    );
    const blobOf = (text: string) => {
      const sha = sha256(bytes(text));
      return join(shared, "file-store/stored", sha.slice(0, 2), sha.slice(2), `${bytes(text).length}.blob`);
    };
    // The second checkout is gone (its job deleted); two of the blobs were last used long ago.
    rmSync(join(shared, "jobs/gone"), { recursive: true });
    const longAgo = new Date("2020-01-01T00:00:00Z");
    for (const text of ["kept, in a checkout", "old and unused"]) utimesSync(blobOf(text), longAgo, longAgo);

    const configPath = join(dir, "flamenco-manager.yaml");
    const dry = await runServerCommand(["--config", configPath, "shaman-gc", "--dry-run"], dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(`${bytes("old and unused").length}\t${blobOf("old and unused")}\n`);
    expect(dry.stderr).toContain("would remove 1 of 3 blob(s), 14 bytes; 1 old blob(s) kept");
    expect(existsSync(blobOf("old and unused"))).toBe(true);

    const real = await runServerCommand(["--config", configPath, "shaman-gc"], dir);
    expect(real.code).toBe(0);
    expect(real.stderr).toContain("removed 1 of 3 blob(s), 14 bytes");
    expect(existsSync(blobOf("old and unused"))).toBe(false);
    expect(existsSync(blobOf("kept, in a checkout"))).toBe(true);
    expect(existsSync(blobOf("recent"))).toBe(true);
    expect((await fetch(`${manager.url}/api/v3/version`)).status).toBe(200);
    await manager.stop();
  }, 60_000);
});
