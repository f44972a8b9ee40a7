// One Manager per database and per storage folder: a second Manager process refuses to start and
// names the first; a Manager killed with SIGKILL leaves no lock that blocks its restart; a clean
// stop removes the holder file. The lock module itself, in one process, below.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  HOLDER_SUFFIX,
  LOCK_SUFFIX,
  LockError,
  lockManagerFiles,
  lockResource,
} from "../../../src/manager/db/lock";
import { killChildren, runServerCommand, startManager, writeManagerConfig } from "../../support/processes";
import { tempDirs } from "../../support/temp-dirs";
import { thrownBy } from "../../support/thrown";

const newDir = tempDirs("tablao-lock");
afterAll(killChildren);

const DATABASE = "flamenco-manager.sqlite";
/** Each test starts two Manager processes. */
const PROCESS_TEST_TIMEOUT_MS = 40_000;

function holderPid(resource: string): number {
  return (JSON.parse(readFileSync(resource + HOLDER_SUFFIX, "utf8")) as { pid: number }).pid;
}

describe("Manager processes", () => {
  test(
    "a second Manager on the same database exits non-zero, naming the one running",
    async () => {
      const dir = newDir();
      const first = await startManager(dir);
      const otherDir = newDir();
      const config = writeManagerConfig(otherDir, { database: join(dir, DATABASE) });

      const second = await runServerCommand(["--config", config], otherDir);

      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `another Manager (pid ${first.proc.pid}, listening on ${first.url}/, since ${new Date().getFullYear()}`,
      );
      expect(second.stderr).toContain(`is using ${join(dir, DATABASE)}`);
      // It gave up before opening the database: its own storage was never created either.
      expect(existsSync(join(otherDir, "flamenco-manager-storage"))).toBe(false);
      expect((await fetch(`${first.url}/api/v3/version`)).ok).toBe(true);
      await first.stop();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  test(
    "a second Manager on the same storage folder (another database) exits non-zero",
    async () => {
      const dir = newDir();
      const first = await startManager(dir);
      const otherDir = newDir();
      const storage = join(dir, "flamenco-manager-storage");
      const config = writeManagerConfig(otherDir, { local_manager_storage_path: storage });

      const second = await runServerCommand(["--config", config], otherDir);

      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`another Manager (pid ${first.proc.pid}, listening on ${first.url}/`);
      expect(second.stderr).toContain(`is using ${storage}`);
      // Its own database lock was let go again, so its database is free.
      const freed = lockResource(join(otherDir, DATABASE), "manager");
      freed.release();
      await first.stop();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  test(
    "the lock of a Manager killed with SIGKILL does not block its restart",
    async () => {
      const dir = newDir();
      const manager = await startManager(dir);
      const killedPid = manager.proc.pid;
      await manager.stop("SIGKILL");
      // What it left says it still holds the database; the lock itself went with the process.
      expect(holderPid(join(dir, DATABASE))).toBe(killedPid);

      await manager.restart();

      expect((await fetch(`${manager.url}/api/v3/version`)).ok).toBe(true);
      expect(holderPid(join(dir, DATABASE))).toBe(manager.proc.pid);
      await manager.stop();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  test(
    "a clean stop removes the holder files and keeps the lock files",
    async () => {
      const dir = newDir();
      const manager = await startManager(dir);
      const resources = [join(dir, DATABASE), join(dir, "flamenco-manager-storage")];
      for (const resource of resources) expect(holderPid(resource)).toBe(manager.proc.pid);

      await manager.stop("SIGTERM");

      expect(manager.proc.exitCode).toBe(0);
      for (const resource of resources) {
        expect(existsSync(resource + HOLDER_SUFFIX)).toBe(false);
        expect(existsSync(resource + LOCK_SUFFIX)).toBe(true);
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe("lockResource", () => {
  test("a second lock on the same resource is refused with the holder, until the first is released", () => {
    const resource = join(newDir(), DATABASE);
    const lock = lockResource(resource, "manager", new Date("2026-01-05T10:00:00Z"));
    const refusal = () => thrownBy(LockError, () => lockResource(resource, "manager"));

    expect(refusal()).toMatchObject({
      held: true,
      message: `another Manager (pid ${process.pid}, not listening yet, since 2026-01-05T10:00:00.000Z) is using ${resource}`,
    });
    lock.listening("http://0.0.0.0:8080/");
    expect(refusal().message).toStartWith(
      `another Manager (pid ${process.pid}, listening on http://0.0.0.0:8080/,`,
    );

    lock.release();
    lockResource(resource, "manager").release();
  });

  test("a restore is named as such", () => {
    const resource = join(newDir(), DATABASE);
    const lock = lockResource(resource, "restore", new Date("2026-01-05T10:00:00Z"));
    try {
      expect(thrownBy(LockError, () => lockResource(resource, "manager")).message).toBe(
        `a restore (pid ${process.pid}, since 2026-01-05T10:00:00.000Z) is using ${resource}`,
      );
    } finally {
      lock.release();
    }
  });

  test("an in-memory database is not locked, its storage folder is", () => {
    const storage = join(newDir(), "storage");
    const lock = lockManagerFiles({ databasePath: ":memory:", storagePath: storage });
    try {
      expect(existsSync(`:memory:${LOCK_SUFFIX}`)).toBe(false);
      expect(
        thrownBy(LockError, () => lockManagerFiles({ databasePath: ":memory:", storagePath: storage }))
          .message,
      ).toEndWith(`is using ${storage}`);
    } finally {
      lock.release();
    }
  });
});
