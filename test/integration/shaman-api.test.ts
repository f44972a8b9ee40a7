// Shaman over HTTP on a real server (in-process Manager, real SQLite and files): the status codes
// Flamenco's clients rely on, coalesced concurrent uploads, interrupted uploads, checkout path
// safety, and job deletion removing the checkout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { startTestManager, type TestManager } from "../support/manager";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";
import { shamanClient, ShamanClientError } from "../manager/shaman/addon-client";
import { TRAVERSALS, tree } from "../manager/shaman/fixture";
import { rawUpload } from "../manager/shaman/raw-upload";

const tempDir = tempDirs("tablao-shaman-api");
const ErrorAnswer = z.object({ code: z.number(), message: z.string() });
const Status = z.object({ status: z.string() });

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const bytes = (text: string) => new TextEncoder().encode(text);

let m: TestManager;
let shared: string;
beforeAll(async () => {
  m = await startTestManager({ dir: tempDir() });
  shared = join(m.dir, "shared");
});
afterAll(() => m.destroy());

const filesUrl = (sha: string, size: number) => `${m.url}/api/v3/shaman/files/${sha}/${size}`;
const post = (sha: string, size: number, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(filesUrl(sha, size), {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream", ...headers },
    body,
  });
const fileStatus = async (sha: string, size: number) =>
  Status.parse(await (await fetch(filesUrl(sha, size))).json()).status;
const uploadingLeft = () => tree(join(shared, "file-store/uploading")).filter((p) => p.endsWith(".tmp"));

describe("when Shaman does not run", () => {
  test.each([
    ["disabled", { shaman: { enabled: false } }],
    ["first run", { shared_storage_path: "" }],
  ])("%s: every operation is a 503 and the configuration says so", async (_, config) => {
    const off = await startTestManager({ dir: tempDir(), config });
    try {
      const sha = sha256("x");
      for (const res of [
        await fetch(`${off.url}/api/v3/shaman/files/${sha}/1`),
        await fetch(`${off.url}/api/v3/shaman/files/${sha}/1`, { method: "POST", body: "x" }),
        await fetch(`${off.url}/api/v3/shaman/checkout/requirements`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ files: [] }),
        }),
        await fetch(`${off.url}/api/v3/shaman/checkout/create`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ checkoutPath: "x", files: [] }),
        }),
      ]) {
        expect(res.status).toBe(503);
        expect(ErrorAnswer.parse(await res.json()).message).toBe("shaman server not active");
      }
      const conf = z
        .object({ shamanEnabled: z.boolean() })
        .parse(await (await fetch(`${off.url}/api/v3/configuration`)).json());
      expect(conf.shamanEnabled).toBe(false);
      const status: unknown = await (await fetch(`${off.url}/api/tablao/shaman/status`)).json();
      expect(status).toEqual({ enabled: false });
    } finally {
      await off.destroy();
    }
  });
});

describe("when Shaman runs", () => {
  test("the configuration and the shared storage say so", async () => {
    const conf: unknown = await (await fetch(`${m.url}/api/v3/configuration`)).json();
    expect(conf).toMatchObject({ shamanEnabled: true, storageLocation: join(shared, "jobs") });
    const storage: unknown = await (
      await fetch(`${m.url}/api/v3/configuration/shared-storage/users/linux`)
    ).json();
    expect(storage).toMatchObject({ shamanEnabled: true, location: join(shared, "jobs") });
  });
});

describe("uploads", () => {
  test("unknown, 204 stored, 208 already stored (body unread)", async () => {
    const data = bytes("first file");
    const sha = sha256(data);
    expect(await fileStatus(sha, data.length)).toBe("unknown");
    const stored = await post(sha, data.length, data, {
      "X-Shaman-Original-Filename": "=?utf-8?B?w7xiZXIuYmxlbmQ=?=",
    });
    expect(stored.status).toBe(204);
    expect(await fileStatus(sha, data.length)).toBe("stored");
    expect(await fileStatus(sha.toUpperCase(), data.length)).toBe("stored");
    expect((await post(sha, data.length, data)).status).toBe(208);
  });

  test.each([
    ["a shorter body", "abc", 4, "file size mismatched, declared 4 but received 3 bytes"],
    ["another checksum", "abcd", 4, "file SHA256 mismatched"],
  ])("%s is a 417", async (_, sent, size, message) => {
    const sha = _ === "another checksum" ? sha256("dcba") : sha256(sent.padEnd(size, "x"));
    const res = await post(sha, size, sent);
    expect(res.status).toBe(417);
    expect(ErrorAnswer.parse(await res.json()).message).toStartWith(message);
    expect(await fileStatus(sha, size)).toBe("unknown");
  });

  test("a body announced longer than declared is a 417, unread", async () => {
    const res = await post(sha256("abc"), 3, "abcd");
    expect(res.status).toBe(417);
    expect(ErrorAnswer.parse(await res.json()).message).toBe(
      "file size mismatched, declared 3 but received 4 bytes",
    );
  });

  test("headers: an undecodable file name is a 400; a chunked body is a 411; a huge size a 413", async () => {
    const sha = sha256("z");
    const badName = await post(sha, 1, "z", { "X-Shaman-Original-Filename": "=?utf-8?B?/w==?=" });
    expect(badName.status).toBe(400);
    const nonAscii = await post(sha, 1, "z", { "X-Shaman-Original-Filename": "caf\u00e9" });
    expect(nonAscii.status).toBe(400);
    const badDefer = await post(sha, 1, "z", { "X-Shaman-Can-Defer-Upload": "maybe" });
    expect(badDefer.status).toBe(400);
    const chunked = rawUpload({
      url: m.url,
      path: `/api/v3/shaman/files/${sha}/1`,
      size: 1,
      chunk: () => bytes("z"),
      chunked: true,
    });
    expect((await chunked.response).status).toBe(411);
    const huge = await post(sha, 2 ** 50, "z");
    expect(huge.status).toBe(413);
    expect(await fileStatus(sha, 1)).toBe("unknown");
  });

  test("ten concurrent uploads of one blob: one is written, nine answer 208", async () => {
    const data = crypto.getRandomValues(new Uint8Array(65536));
    const big = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += data.length) big.set(data, i);
    const sha = sha256(big);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => post(sha, big.length, big).then((r) => r.status)),
    );
    expect(statuses.sort()).toEqual([204, ...Array<number>(9).fill(208)]);
    const shaDir = join(shared, "file-store/stored", sha.slice(0, 2), sha.slice(2));
    expect(readdirSync(shaDir)).toEqual([`${big.length}.blob`]);
    expect(uploadingLeft()).toEqual([]);
  });

  test("with can-defer, an upload of a blob being received is a 425", async () => {
    const size = 4 * 1024 * 1024;
    const chunk = (_: number, max: number) => new Uint8Array(max).fill(7);
    const sha = sha256(new Uint8Array(size).fill(7));
    const first = rawUpload({
      url: m.url,
      path: `/api/v3/shaman/files/${sha}/${size}`,
      size,
      chunk,
      sendBytes: size / 2,
    });
    await first.sent;
    await waitFor(
      "the first upload to be received",
      async () => (await fileStatus(sha, size)) === "uploading",
    );
    const deferred = await post(sha, size, new Uint8Array(size).fill(7), {
      "X-Shaman-Can-Defer-Upload": "true",
    });
    expect(deferred.status).toBe(425);
    first.destroy();
  });

  test("a client that disconnects mid-upload leaves nothing behind", async () => {
    const size = 8 * 1024 * 1024;
    const sha = sha256(new Uint8Array(size).fill(1));
    const up = rawUpload({
      url: m.url,
      path: `/api/v3/shaman/files/${sha}/${size}`,
      size,
      chunk: (_, max) => new Uint8Array(max).fill(1),
      sendBytes: size / 2,
    });
    await up.sent;
    await waitFor("the upload to be received", () => uploadingLeft().length > 0);
    up.destroy();
    await waitFor("the temporary file to go", () => uploadingLeft().length === 0);
    expect(await fileStatus(sha, size)).toBe("unknown");
    expect(existsSync(join(shared, "file-store/stored", sha.slice(0, 2)))).toBe(false);
  });
});

describe("checkouts", () => {
  const client = () => shamanClient(m.url);

  test("requirements list each missing blob once; checkout links; a repeat gets a suffix", async () => {
    const files = [
      { path: "scene.blend", data: bytes("scene") },
      { path: "tex/a.png", data: bytes("shared texture") },
      { path: "tex/b.png", data: bytes("shared texture") },
    ];
    const specs = await Promise.all(files.map((f) => client().specOf(f)));
    const wanted = await client().requirements(specs);
    expect(wanted.files.map((f) => f.path)).toEqual(["scene.blend", "tex/a.png"]);
    const first = await client().pack(files, "project/shot");
    expect(first).toMatchObject({ checkoutPath: "project/shot", stored: 2 });
    expect((await client().requirements(specs)).files).toEqual([]);
    const again = await client().pack(files, "project/shot");
    expect(again.stored).toBe(0);
    expect(again.checkoutPath).toMatch(/^project\/shot-[a-z0-9]{4}$/);
    expect(tree(join(shared, "jobs", again.checkoutPath))).toEqual([
      "scene.blend@",
      "tex/",
      "tex/a.png@",
      "tex/b.png@",
    ]);
  });

  test("a checkout of files not stored is a 424", async () => {
    const spec = { sha: sha256("never sent"), size: 10, path: "x" };
    const err = await client()
      .checkout("missing", [spec])
      .catch((e: ShamanClientError) => e);
    expect(err).toBeInstanceOf(ShamanClientError);
    expect((err as ShamanClientError).status).toBe(424);
    expect(existsSync(join(shared, "jobs/missing"))).toBe(false);
  });

  test("every traversal attempt is a 400 and creates nothing, links in the tree included", async () => {
    const data = bytes("payload");
    const spec = { sha: sha256(data), size: data.length, path: "f" };
    expect((await post(spec.sha, spec.size, data)).status).toBeOneOf([204, 208]);
    const outside = join(m.dir, "outside");
    mkdirSync(outside, { recursive: true });
    mkdirSync(join(shared, "jobs"), { recursive: true });
    symlinkSync(outside, join(shared, "jobs/planted"));
    const before = tree(m.dir).filter((p) => !p.startsWith("flamenco-manager"));
    const attempts = [
      ...TRAVERSALS.map((checkoutPath) => ({ checkoutPath, files: [spec] })),
      ...TRAVERSALS.map((path) => ({ checkoutPath: "fine", files: [{ ...spec, path }] })),
      { checkoutPath: "planted/x", files: [spec] },
      { checkoutPath: "planted/../../x", files: [spec] },
    ];
    for (const body of attempts) {
      const res = await fetch(`${m.url}/api/v3/shaman/checkout/create`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      ErrorAnswer.parse(await res.json());
    }
    expect(tree(m.dir).filter((p) => !p.startsWith("flamenco-manager"))).toEqual(before);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe("job deletion", () => {
  const job = (checkout: string) => ({
    name: "uses a checkout",
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message: "hi", sleep_duration_seconds: 1, sleep_repeats: 1 },
    storage: { shaman_checkout_id: checkout },
  });
  const submit = async (body: unknown) => {
    const res = await fetch(`${m.url}/api/v3/jobs`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return z.object({ id: z.string() }).parse(await res.json()).id;
  };

  test("removes the job's checkout, and nothing when the ID points outside", async () => {
    const packed = await shamanClient(m.url).pack(
      [{ path: "f", data: bytes("for deletion") }],
      "todelete/job",
    );
    const id = await submit(job(packed.checkoutPath));
    const would: unknown = await (await fetch(`${m.url}/api/v3/jobs/${id}/what-would-delete-do`)).json();
    expect(would).toEqual({ shaman_checkout: true });
    expect((await fetch(`${m.url}/api/v3/jobs/${id}`, { method: "DELETE" })).status).toBe(204);
    await waitFor("the checkout to be removed", () => !existsSync(join(shared, "jobs/todelete")));

    const victim = join(m.dir, "victim");
    mkdirSync(victim, { recursive: true });
    const evil = await submit(job("../../victim"));
    expect((await fetch(`${m.url}/api/v3/jobs/${evil}`, { method: "DELETE" })).status).toBe(204);
    await waitFor(
      "the job to be deleted",
      async () => (await fetch(`${m.url}/api/v3/jobs/${evil}`)).status === 404,
    );
    expect(existsSync(victim)).toBe(true);
  });
});
