// Whether a directory can serve as shared storage: it exists, is a directory that is not one
// of the Manager's own, and a file can be written there. The check writes one file with a fresh
// random name (created exclusively, so nothing existing is ever overwritten) directly in that
// directory and removes it again; it touches nothing else. A path with `..` components is
// refused: it would name a different directory than it seems to, and a share never needs one.

import { randomUUID } from "node:crypto";
import { open, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isUncPath } from "./crosspath";

const WRITABILITY_TEST_PREFIX = "flamenco-writability-test-";
// Non-ASCII on purpose: storage that mangles UTF-8 file content should fail here, not later.
const WRITABILITY_TEST_TEXT = "Tablao write test: ✓ Ünïcödé";
export const SHARED_STORAGE_OK_CAUSE = "Directory checked successfully";

export interface SharedStorageCheck {
  /** The path as given. */
  path: string;
  is_usable: boolean;
  cause: string;
}

export interface SharedStorageCheckOptions {
  /** Relative paths resolve against this folder. */
  cwd: string;
  /** The Manager's own folders (working directory, local storage): never shared storage. */
  ownDirs: readonly string[];
}

/** Never throws: every problem is an unusable verdict with a cause for the user. */
export async function checkSharedStorage(
  path: string,
  opts: SharedStorageCheckOptions,
): Promise<SharedStorageCheck> {
  const unusable = (cause: string): SharedStorageCheck => ({ path, is_usable: false, cause });

  if (path === "") return unusable("An empty path cannot be used as shared storage.");
  if (isUncPath(path)) {
    return unusable(
      "UNC paths such as \\\\server\\share are not supported; use a mapped drive or mount point.",
    );
  }
  if (path.split(/[/\\]/).includes("..")) {
    return unusable('This path contains a ".." component; give the directory\'s path without one.');
  }
  const absolute = resolve(opts.cwd, path);
  try {
    if (!(await stat(absolute)).isDirectory())
      return unusable("This path is not a directory; choose an existing directory.");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      return unusable("This path does not exist; choose an existing directory.");
    return unusable(`The path cannot be inspected: ${(err as Error).message}`);
  }
  if (opts.ownDirs.some((dir) => resolve(dir) === absolute)) {
    return unusable(
      "This is one of the Manager's own directories; choose a directory dedicated to shared storage.",
    );
  }

  const testFile = join(absolute, `${WRITABILITY_TEST_PREFIX}${randomUUID()}.txt`);
  let handle;
  try {
    handle = await open(testFile, "wx");
  } catch (err) {
    return unusable(
      `Cannot create a file in this directory (${(err as Error).message}); choose one the Manager can write to.`,
    );
  }
  let verdict: SharedStorageCheck;
  try {
    await handle.writeFile(WRITABILITY_TEST_TEXT, "utf8");
    // Some file systems report write errors only on close.
    await handle.close();
    verdict = { path, is_usable: true, cause: SHARED_STORAGE_OK_CAUSE };
  } catch (err) {
    verdict = unusable(`Cannot write to ${testFile}: ${(err as Error).message}`);
    await handle.close().catch(() => undefined);
  }
  try {
    await rm(testFile, { force: true });
  } catch (err) {
    return unusable(`Cannot remove the test file ${testFile}: ${(err as Error).message}`);
  }
  return verdict;
}
