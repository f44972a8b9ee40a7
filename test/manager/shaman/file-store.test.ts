import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "../../../src/manager/errors";
import { blobPath } from "../../../src/manager/shaman/paths";
import { rejectedBy } from "../../support/thrown";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";
import { shamanFixture, specFor, streamOf, tree } from "./fixture";

const tempDir = tempDirs("tablao-shaman-store");
const upload = { canDefer: false, originalName: "file" };

/** A body the test feeds piece by piece; `reads` counts how often the server asked for more. */
function controlledBody() {
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const body = {
    reads: 0,
    stream: new ReadableStream<Uint8Array>(
      {
        start: (c) => void (ctrl = c),
        pull: () => void body.reads++,
      },
      { highWaterMark: 0 },
    ),
    send: (text: string) => ctrl.enqueue(new TextEncoder().encode(text)),
    end: () => ctrl.close(),
    breakOff: () => ctrl.error(new Error("connection reset")),
  };
  return body;
}

describe("uploads", () => {
  test("a file is verified and stored; then it is already stored", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const spec = specFor("f", "contents");
    expect(await s.fileStore.status(spec)).toBe("unknown");
    expect(await s.fileStore.upload(spec, streamOf("contents"), upload)).toBe("stored");
    expect(readFileSync(blobPath(s.layout, spec), "utf8")).toBe("contents");
    expect(await s.fileStore.status(spec)).toBe("stored");
    expect(await s.fileStore.upload(spec, streamOf("contents"), upload)).toBe("already-stored");
    expect(tree(s.layout.uploading)).toEqual([]);
  });

  test.each([
    ["shorter", "conten", "file size mismatched, declared 8 but received 6 bytes"],
    ["longer", "contents and more", "file size mismatched, declared 8 but received more than 8 bytes"],
    ["different", "CONTENTS", "file SHA256 mismatched, declared"],
  ])("a %s body is a 417 and stores nothing", async (_, sent, message) => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const spec = specFor("f", "contents");
    const err = await rejectedBy(ApiError, () => s.fileStore.upload(spec, streamOf(sent), upload));
    expect(err.status).toBe(417);
    expect(err.message).toStartWith(message);
    expect(tree(s.layout.stored)).toEqual([]);
    expect(tree(s.layout.uploading)).toEqual([]);
    expect(await s.fileStore.status(spec)).toBe("unknown");
  });

  test("a body that breaks off leaves nothing behind", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const spec = specFor("f", "contents");
    const body = controlledBody();
    const result = s.fileStore.upload(spec, body.stream, upload);
    body.send("cont");
    await waitFor("the temporary file", () => tree(s.layout.uploading).some((p) => p.endsWith(".tmp")));
    expect(await s.fileStore.status(spec)).toBe("uploading");
    body.breakOff();
    expect((await rejectedBy(Error, () => result)).message).toBe("connection reset");
    expect(tree(s.layout.uploading)).toEqual([]);
    expect(tree(s.layout.stored)).toEqual([]);
    expect(await s.fileStore.status(spec)).toBe("unknown");
  });

  test("leftovers of uploads cut short by a crash are removed at start-up", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const body = controlledBody();
    void s.fileStore.upload(specFor("f", "contents"), body.stream, upload).catch(() => undefined);
    body.send("cont");
    await waitFor("the temporary file", () => tree(s.layout.uploading).some((p) => p.endsWith(".tmp")));
    // A second store on the same folder plays the Manager after the crash.
    const restarted = shamanFixture(join(s.layout.fileStore, ".."));
    await restarted.fileStore.removeUploadLeftovers();
    expect(existsSync(s.layout.uploading)).toBe(false);
    body.breakOff();
  });
});

describe("concurrent uploads of one blob", () => {
  test("ten at once: one is written, those that can defer get 425, the others 208 unread", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const spec = specFor("f", "contents");
    const first = controlledBody();
    const writing = s.fileStore.upload(spec, first.stream, upload);
    first.send("con");
    await waitFor("the first upload to be written", () => tree(s.layout.uploading).length > 0);
    expect(await s.fileStore.status(spec)).toBe("uploading");

    const others = Array.from({ length: 9 }, () => controlledBody());
    const outcomes = others.map((b, i) =>
      s.fileStore.upload(spec, b.stream, { canDefer: i % 3 === 0, originalName: `copy ${i}` }).then(
        (outcome) => outcome,
        (err: ApiError) => err.status,
      ),
    );
    first.send("tents");
    first.end();
    expect(await writing).toBe("stored");
    expect(await Promise.all(outcomes)).toEqual(others.map((_, i) => (i % 3 === 0 ? 425 : "already-stored")));
    expect(others.map((b) => b.reads)).toEqual(others.map(() => 0));
    expect(tree(s.layout.stored).filter((p) => p.endsWith(".blob"))).toHaveLength(1);
    expect(tree(s.layout.uploading)).toEqual([]);
  });

  test("when the upload being written fails, a waiting one takes over", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const spec = specFor("f", "contents");
    const bad = controlledBody();
    const failing = s.fileStore.upload(spec, bad.stream, upload);
    bad.send("wrong!!!");
    await waitFor("the first upload to be written", () => tree(s.layout.uploading).length > 0);
    const waiting = s.fileStore.upload(spec, streamOf("contents"), upload);
    bad.end();
    expect((await rejectedBy(ApiError, () => failing)).status).toBe(417);
    expect(await waiting).toBe("stored");
    expect(readFileSync(blobPath(s.layout, spec), "utf8")).toBe("contents");
  });
});
