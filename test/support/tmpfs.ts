// Small tmpfs filesystems for the disk-trouble tests (the tests run as root): mounted on a folder
// the test gives, filled to the last page, emptied again, switched to read-only and back, and
// unmounted by the test's afterAll.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** What fill() writes at a time; the last write is cut short by the full filesystem. */
const FILL_BLOCK_BYTES = 64 * 1024;
const FILLER = ".filler";

export interface Tmpfs {
  dir: string;
  /** Writes a file until the filesystem says it is full (ENOSPC). */
  fill(): void;
  /** Removes what fill() wrote. */
  free(): void;
  readOnly(on: boolean): void;
  unmount(): void;
}

function run(...argv: string[]): void {
  const result = Bun.spawnSync(argv, { stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr.toString().trim()}`);
}

const errorCode = (err: unknown) => (err as { code?: unknown } | null)?.code;

export function mountTmpfs(dir: string, sizeBytes: number): Tmpfs {
  run("mount", "-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir);
  const filler = join(dir, FILLER);
  return {
    dir,
    fill() {
      const fd = openSync(filler, "a");
      const block = Buffer.alloc(FILL_BLOCK_BYTES, 0x2e);
      try {
        for (;;) writeSync(fd, block);
      } catch (err) {
        if (errorCode(err) !== "ENOSPC") throw err;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    readOnly(on) {
      run("mount", "-o", `remount,${on ? "ro" : "rw"}`, dir);
    },
    unmount() {
      run("umount", "-l", dir);
    },
  };
}
