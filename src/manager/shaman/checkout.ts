// Checkouts: a job's folder under the checkout root, with each file of the submission placed at
// its path as a link to its stored blob. Owns the rules that keep a checkout inside the root:
// every path is checked as text (src/manager/shaman/paths.ts), and on disk no component of the
// checkout path may be a symbolic link, so a link someone left in the tree cannot redirect it.
import { lstat, mkdir, realpath, rm, rmdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import pMap from "p-map";
import { ApiError } from "../errors";
import type { BlobStatus, FileStore } from "./file-store";
import {
  CHECKOUT_MAX_FILES,
  CHECKOUT_SUFFIX_CHARS,
  CHECKOUT_UNIQUE_ATTEMPTS,
  SHAMAN_FS_CONCURRENCY,
} from "./limits";
import { placeFile, type LinkMode } from "./link-mode";
import {
  blobKey,
  blobPath,
  checkoutPathParts,
  relativePathParts,
  type BlobId,
  type ShamanLayout,
} from "./paths";

export interface FileSpec extends BlobId {
  path: string;
}

export interface CheckoutDeps {
  layout: ShamanLayout;
  fileStore: FileStore;
  linkMode: LinkMode;
  log: (msg: string) => void;
  /** Suffixes that make a checkout path unique; random `[a-z0-9]` by default. */
  randomSuffix?: () => string;
}

const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CHECKOUT_SUFFIX_CHARS));
  return Array.from(bytes, (b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join("");
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

function checkFileCount(files: readonly unknown[]) {
  if (files.length > CHECKOUT_MAX_FILES)
    throw new ApiError(400, `too many files: ${files.length}, the limit is ${CHECKOUT_MAX_FILES}`);
}

/** Blob ids as stored: hex in lower case. */
function normaliseSpec<T extends FileSpec>(spec: T): T {
  return { ...spec, sha: spec.sha.toLowerCase() };
}

/**
 * The folder at `parts` under `root`, made where missing; a component that is a symbolic link or
 * not a folder is refused (400), so the result is inside `root` on disk too.
 */
async function ensureDirUnder(root: string, parts: readonly string[], what: string): Promise<string> {
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    for (;;) {
      try {
        const st = await lstat(dir);
        if (st.isSymbolicLink()) throw new ApiError(400, `${what} passes through a symbolic link: ${part}`);
        if (!st.isDirectory()) throw new ApiError(400, `${what} passes through a file: ${part}`);
        break;
      } catch (err) {
        if (errnoCode(err) !== "ENOENT") throw err;
      }
      try {
        await mkdir(dir, { mode: 0o777 });
        break;
      } catch (err) {
        // Made by a parallel checkout in the meantime: look at it again.
        if (errnoCode(err) !== "EEXIST") throw err;
      }
    }
  }
  return dir;
}

/** Files by their place in the checkout, each path checked; conflicting places are a 400. */
function planCheckout(files: readonly FileSpec[]): Map<string, FileSpec> {
  const byPath = new Map<string, FileSpec>();
  const dirs = new Set<string>();
  for (const spec of files) {
    const parts = relativePathParts("file path", spec.path);
    const path = parts.join("/");
    const same = byPath.get(path);
    if (same) {
      if (blobKey(same) !== blobKey(spec)) throw new ApiError(400, `two different files for path ${path}`);
      continue;
    }
    if (dirs.has(path)) throw new ApiError(400, `path ${path} is both a file and a folder`);
    byPath.set(path, spec);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  for (const dir of dirs) {
    if (byPath.has(dir)) throw new ApiError(400, `path ${dir} is both a file and a folder`);
  }
  return byPath;
}

export type Checkouts = ReturnType<typeof createCheckouts>;

export function createCheckouts(deps: CheckoutDeps) {
  const { layout, fileStore } = deps;
  const suffix = deps.randomSuffix ?? randomSuffix;

  /** Picks and creates a checkout folder that did not exist: the asked one, else with a suffix. */
  async function createUniqueDir(parts: string[]): Promise<{ dir: string; relPath: string }> {
    await mkdir(layout.checkouts, { recursive: true, mode: 0o777 });
    const parent = await ensureDirUnder(layout.checkouts, parts.slice(0, -1), "checkout path");
    const name = parts[parts.length - 1]!;
    for (let attempt = 0; attempt < CHECKOUT_UNIQUE_ATTEMPTS; attempt++) {
      const candidate = attempt === 0 ? name : `${name}-${suffix()}`;
      const dir = join(parent, candidate);
      try {
        await mkdir(dir, { mode: 0o777 });
        return { dir, relPath: [...parts.slice(0, -1), candidate].join("/") };
      } catch (err) {
        if (errnoCode(err) !== "EEXIST") throw err;
      }
    }
    throw new ApiError(409, `no unique checkout directory found for ${parts.join("/")}`);
  }

  return {
    linkMode: deps.linkMode,

    /**
     * The files Shaman does not have completely yet (unknown or being uploaded), once per blob,
     * first occurrence first. Stored blobs are marked as used now.
     */
    async requirements(files: FileSpec[]): Promise<(FileSpec & { status: BlobStatus })[]> {
      checkFileCount(files);
      const seen = new Set<string>();
      const unique: FileSpec[] = [];
      for (const raw of files) {
        const spec = normaliseSpec(raw);
        relativePathParts("file path", spec.path);
        if (seen.has(blobKey(spec))) continue;
        seen.add(blobKey(spec));
        unique.push(spec);
      }
      const statuses = await pMap(unique, (spec) => fileStore.status(spec), {
        concurrency: SHAMAN_FS_CONCURRENCY,
      });
      const stored = unique.filter((_, i) => statuses[i] === "stored");
      void fileStore.touch(stored.map((spec) => blobPath(layout, spec)));
      return unique.flatMap((spec, i) =>
        statuses[i] === "stored" ? [] : [{ ...spec, status: statuses[i]! }],
      );
    },

    /** Creates a checkout; returns its path relative to the checkout root (maybe suffixed). */
    async create(checkoutPath: string, files: FileSpec[]): Promise<string> {
      const parts = checkoutPathParts(checkoutPath);
      checkFileCount(files);
      const plan = planCheckout(files.map(normaliseSpec));
      const specs = [...plan.values()];
      const stored = await pMap(specs, (spec) => fileStore.isStored(spec), {
        concurrency: SHAMAN_FS_CONCURRENCY,
      });
      const missing = specs.filter((_, i) => !stored[i]);
      if (missing.length > 0) {
        const some = missing
          .slice(0, 3)
          .map((s) => s.path)
          .join(", ");
        throw new ApiError(424, `${missing.length} file(s) not stored yet, e.g. ${some}`);
      }

      const { dir, relPath } = await createUniqueDir(parts);
      try {
        // Relative links, computed between the real folders, so they hold wherever the shared
        // storage is mounted.
        const realDir = await realpath(dir);
        const realStored = await realpath(layout.stored);
        const dirs = new Set<string>();
        for (const path of plan.keys()) {
          const parent = dirname(path);
          if (parent !== ".") dirs.add(parent);
        }
        await pMap([...dirs], (d) => mkdir(join(dir, d), { recursive: true, mode: 0o777 }), {
          concurrency: SHAMAN_FS_CONCURRENCY,
        });
        await pMap(
          [...plan],
          async ([path, spec]) => {
            const blob = blobPath(layout, spec);
            const target = relative(
              join(realDir, dirname(path)),
              blobPath({ ...layout, stored: realStored }, spec),
            );
            await placeFile(deps.linkMode, blob, join(dir, path), target);
          },
          { concurrency: SHAMAN_FS_CONCURRENCY },
        );
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      void fileStore.touch(specs.map((spec) => blobPath(layout, spec)));
      deps.log(`shaman: checked out ${plan.size} file(s) at ${JSON.stringify(relPath)} (${deps.linkMode})`);
      return relPath;
    },

    /**
     * Removes a job's checkout (job deletion) and its parent folder when that is left empty.
     * An ID that is not a valid checkout path, or runs through a symbolic link, cannot be one
     * of ours: nothing is removed.
     */
    async remove(checkoutId: string): Promise<void> {
      let parts: string[];
      try {
        parts = checkoutPathParts(checkoutId);
      } catch {
        deps.log(`shaman: not removing checkout ${JSON.stringify(checkoutId)}: not a valid checkout path`);
        return;
      }
      let dir = layout.checkouts;
      for (const part of parts) {
        dir = join(dir, part);
        let st;
        try {
          st = await lstat(dir);
        } catch (err) {
          if (errnoCode(err) === "ENOENT") return;
          throw err;
        }
        if (st.isSymbolicLink()) {
          deps.log(
            `shaman: not removing checkout ${JSON.stringify(checkoutId)}: it runs through a symbolic link`,
          );
          return;
        }
      }
      await rm(dir, { recursive: true, force: true });
      if (parts.length > 1) await rmdir(dirname(dir)).catch(() => undefined);
    },
  };
}
