// Garbage collection of the file store: stored blobs unused for longer than the maximum age and
// not referenced by any checkout are deleted. "Used" is the blob's modification time, which
// uploads, requirement checks and checkouts set to now. Referenced means a checkout links to it:
// a symbolic link under the checkout root resolving to it, or a hard link (link count above 1).
// Works from the file system alone, so the command line can sweep while a Manager serves.
import { lstat, readdir, realpath, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import pMap from "p-map";
import { SHAMAN_FS_CONCURRENCY } from "./limits";
import type { ShamanLayout } from "./paths";

export interface GcBlob {
  path: string;
  bytes: number;
}

export interface GcResult {
  /** When the sweep ran, and the modification time before which an unused blob goes. */
  ranAt: Date;
  threshold: Date;
  dryRun: boolean;
  /** Blobs found in the store. */
  blobs: number;
  /** Blobs deleted (or, in a dry run, that would be), with their sizes. */
  removed: GcBlob[];
  removedBytes: number;
  /** Old enough, but referenced by a checkout or used again during the sweep. */
  kept: number;
}

export interface GcOptions {
  layout: ShamanLayout;
  now: Date;
  maxAgeMs: number;
  dryRun: boolean;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

type Entry = Awaited<ReturnType<typeof readdirOrEmpty>>[number];

/** Every entry under `dir`, at any depth, that `pick` selects (symbolic links are not followed). */
async function* walk(dir: string, pick: (entry: Entry) => boolean): AsyncGenerator<string> {
  for (const entry of await readdirOrEmpty(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path, pick);
    else if (pick(entry)) yield path;
  }
}
const isFile = (entry: Entry) => entry.isFile();
const isLink = (entry: Entry) => entry.isSymbolicLink();

interface Candidate {
  bytes: number;
  mtimeMs: number;
}

/** Count and size of the stored blobs. */
export async function storeUsage(layout: ShamanLayout): Promise<{ blobs: number; bytes: number }> {
  let blobs = 0;
  let bytes = 0;
  for await (const path of walk(layout.stored, isFile)) {
    const st = await stat(path).catch(() => null);
    if (!st) continue;
    blobs++;
    bytes += st.size;
  }
  return { blobs, bytes };
}

export async function collectGarbage(opts: GcOptions): Promise<GcResult> {
  const { layout } = opts;
  const threshold = new Date(opts.now.getTime() - opts.maxAgeMs);
  const storedRoot = await realpath(layout.stored).catch(() => layout.stored);
  const candidates = new Map<string, Candidate>();
  let blobs = 0;
  let kept = 0;
  for await (const path of walk(storedRoot, isFile)) {
    const st = await lstat(path).catch(() => null);
    if (!st) continue;
    blobs++;
    if (st.mtimeMs >= threshold.getTime()) continue;
    if (st.nlink > 1) kept++;
    else candidates.set(path, { bytes: st.size, mtimeMs: st.mtimeMs });
  }
  if (candidates.size > 0) {
    for await (const link of walk(layout.checkouts, isLink)) {
      const target = await realpath(link).catch(() => null); // broken links reference nothing
      if (target !== null && candidates.delete(target)) kept++;
    }
  }
  const removed: GcBlob[] = [];
  await pMap(
    [...candidates],
    async ([path, c]) => {
      // Used again since the first look (a checkout or upload right now): keep it.
      const st = await lstat(path).catch(() => null);
      if (!st || st.mtimeMs !== c.mtimeMs || st.nlink > 1) {
        kept++;
        return;
      }
      if (!opts.dryRun) {
        await rm(path, { force: true });
        await rmdir(dirname(path)).catch(() => undefined);
        await rmdir(dirname(dirname(path))).catch(() => undefined);
      }
      removed.push({ path, bytes: c.bytes });
    },
    { concurrency: SHAMAN_FS_CONCURRENCY },
  );
  removed.sort((a, b) => a.path.localeCompare(b.path));
  return {
    ranAt: opts.now,
    threshold,
    dryRun: opts.dryRun,
    blobs,
    removed,
    removedBytes: removed.reduce((sum, b) => sum + b.bytes, 0),
    kept,
  };
}
