// A Shaman file store and checkouts on a fresh shared-storage folder, for the tests: real files,
// the real upload edge, a fake clock; helpers to put blobs in it and look at the folder; and
// every path traversal form the tests try.
import { createHash } from "node:crypto";
import { readdirSync, lstatSync } from "node:fs";
import { join, relative } from "node:path";
import { createCheckouts, type FileSpec } from "../../../src/manager/shaman/checkout";
import { createFileStore } from "../../../src/manager/shaman/file-store";
import type { LinkMode } from "../../../src/manager/shaman/link-mode";
import { shamanLayout } from "../../../src/manager/shaman/paths";
import { receiveFile } from "../../../src/manager/shaman/receive-file";
import { FakeClock } from "../../support/fake-clock";

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function specFor(path: string, contents: string): FileSpec {
  return { sha: sha256(contents), size: Buffer.byteLength(contents), path };
}

export function streamOf(contents: string | Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
  return new Blob([contents]).stream();
}

export function shamanFixture(
  shared: string,
  opts: { linkMode?: LinkMode; randomSuffix?: () => string } = {},
) {
  const clock = new FakeClock();
  const layout = shamanLayout(shared);
  const logs: string[] = [];
  const log = (msg: string) => logs.push(msg);
  const fileStore = createFileStore({ layout, receive: receiveFile, clock, log });
  const checkouts = createCheckouts({
    layout,
    fileStore,
    linkMode: opts.linkMode ?? "symlink",
    log,
    randomSuffix: opts.randomSuffix,
  });
  return {
    clock,
    layout,
    logs,
    fileStore,
    checkouts,
    /** Uploads each contents as a blob. */
    async store(...contents: string[]) {
      for (const c of contents) {
        await fileStore.upload(specFor("x", c), streamOf(c), { canDefer: false, originalName: "x" });
      }
    },
  };
}

/** Every entry under `dir`, relative, with `/` after folders and `@` after symbolic links. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      const st = lstatSync(path);
      const rel = relative(dir, path);
      if (st.isSymbolicLink()) out.push(`${rel}@`);
      else if (st.isDirectory()) {
        out.push(`${rel}/`);
        walk(path);
      } else out.push(rel);
    }
  };
  walk(dir);
  return out;
}

/** Every way we know of to name a place outside a folder, or to smuggle one past a check. */
export const TRAVERSALS = [
  "..",
  ".",
  "../x",
  "a/../../x",
  "a/..",
  "./a",
  "a/./b",
  "/etc",
  "//server/share",
  "a//b",
  "a/",
  "",
  "..\\x",
  "a\\..\\..\\x",
  "C:/Windows",
  "C:\\Windows",
  "x\u0000y",
  "a/\u0000/b",
  "a\nb",
  "a".repeat(1025),
];
