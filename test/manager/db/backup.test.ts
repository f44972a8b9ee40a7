// Online backups and `restore`: names and retention, the schedule and its retries, a backup of a
// large database that does not hold up the Manager's thread, and the restore command end to end
// (a backup taken under a task-update stream serves the same jobs; what it refuses; what it keeps).
import { Database } from "bun:sqlite";
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { z } from "zod";
import {
  BACKUP_START_DELAY_MS,
  createDatabaseMaintenance,
  type DatabaseMaintenance,
} from "../../../src/manager/backup/maintenance";
import { createEventBroker } from "../../../src/manager/events/broker";
import type { LogLevel } from "../../../src/shared/log";
import { systemClock, type Clock } from "../../../src/shared/clock";
import { runStress } from "../../../src/worker/stress";
import { createTestFarm } from "../../support/builders";
import { FakeClock } from "../../support/fake-clock";
import { startTestManager } from "../../support/manager";
import {
  killChildren,
  managerApi,
  REPO_ROOT,
  runServerCommand,
  startManager,
  writeManagerConfig,
} from "../../support/processes";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";
import { addManyTasks, damageTaskIndex, databaseWithTasks } from "./support";

const newDir = tempDirs("tablao-backup");
afterAll(killChildren);

const DATABASE = "flamenco-manager.sqlite";
const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;
/** Tests that start Manager processes and run the restore command. */
const PROCESS_TEST_TIMEOUT_MS = 60_000;

let stopLater: DatabaseMaintenance[] = [];
afterEach(async () => {
  await Promise.all(stopLater.map((m) => m.stop()));
  stopLater = [];
});

interface MaintenanceOptions {
  databasePath: string;
  backupPath: string;
  clock?: Clock;
  periodMs?: number;
  keep?: number;
}

function maintenanceOf(o: MaintenanceOptions) {
  const logs: { level: LogLevel; msg: string }[] = [];
  const service = createDatabaseMaintenance({
    databasePath: o.databasePath,
    checkPeriodMs: 0,
    backup: { periodMs: o.periodMs ?? 0, keep: o.keep ?? 7, path: o.backupPath },
    broker: createEventBroker(),
    clock: o.clock ?? new FakeClock(),
    log: (level, msg) => logs.push({ level, msg }),
  });
  stopLater.push(service);
  return { service, logs };
}

function taskCount(path: string): number {
  const conn = new Database(path, { readonly: true });
  try {
    return conn.query<{ n: number }, []>("SELECT count(*) AS n FROM tasks").get()!.n;
  } finally {
    conn.close();
  }
}

describe("backups", () => {
  test("are named after the database and the UTC time; the newest `keep` stay, other files are left alone", async () => {
    const dir = newDir();
    const databasePath = join(dir, DATABASE);
    databaseWithTasks(databasePath, 10);
    const backupPath = join(dir, "backups");
    mkdirSync(backupPath);
    const foreign = ["notes.txt", "other-20250101-000000.sqlite"];
    for (const name of foreign) writeFileSync(join(backupPath, name), "");
    const leftOver = join(backupPath, "flamenco-manager-20250101-000000.sqlite.partial");
    writeFileSync(leftOver, "from a Manager killed during a backup");
    const clock = new FakeClock(); // 2026-01-05T10:00:00Z
    const { service, logs } = maintenanceOf({ databasePath, backupPath, clock, keep: 3 });

    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await service.backupNow());
      clock.advance(HOUR_MS);
    }

    const names = ["100000", "110000", "120000", "130000", "140000"].map(
      (t) => `flamenco-manager-20260105-${t}.sqlite`,
    );
    expect(made.map((b) => basename(b.path))).toEqual(names);
    expect(readdirSync(backupPath).sort()).toEqual([...names.slice(2), ...foreign].sort());
    expect(made.map((b) => b.deleted)).toEqual([
      [leftOver],
      [],
      [],
      [join(backupPath, names[0]!)],
      [join(backupPath, names[1]!)],
    ]);
    // Each is a complete database, with every task.
    expect(taskCount(join(backupPath, names[4]!))).toBe(10);
    expect(made[4]!.bytes).toBe(Bun.file(join(backupPath, names[4]!)).size);
    const logged = logs.at(-1);
    expect(logged?.level).toBe("info");
    expect(logged?.msg).toStartWith(`database backup: ${join(backupPath, names[4]!)} (`);
    expect(logged?.msg).toMatch(
      / \(\d+\.\d MiB in \d+\.\d s\); removed 1 old or partial backup\(s\), keeping 3$/,
    );
  });

  test("the first is due a start-up delay after start; a failed one is logged and tried again a period later", async () => {
    const dir = newDir();
    const databasePath = join(dir, DATABASE);
    databaseWithTasks(databasePath, 10);
    const backupPath = join(dir, "backups");
    writeFileSync(backupPath, "a file where the backup folder should be");
    const clock = new FakeClock();
    const { service, logs } = maintenanceOf({ databasePath, backupPath, clock, periodMs: DAY_MS });
    service.start();

    clock.advance(BACKUP_START_DELAY_MS);
    const failure = await waitFor("the failure to be logged", () => logs.find((l) => l.level === "error"));
    expect(failure.msg).toStartWith(
      `database backup to ${join(backupPath, "flamenco-manager-20260105-100100.sqlite")} failed: `,
    );
    expect(failure.msg).toEndWith("; next attempt in 24h0m0s");

    rmSync(backupPath);
    clock.advance(DAY_MS - 1);
    await service.checkNow(); // runs after anything the clock started
    expect(existsSync(backupPath)).toBe(false);
    clock.advance(1);
    await waitFor("the retried backup", () =>
      existsSync(join(backupPath, "flamenco-manager-20260106-100100.sqlite")),
    );
  });

  test("after a restart the next is due a period after the newest backup there is", async () => {
    const dir = newDir();
    const databasePath = join(dir, DATABASE);
    databaseWithTasks(databasePath, 10);
    const backupPath = join(dir, "backups");
    mkdirSync(backupPath);
    writeFileSync(join(backupPath, "flamenco-manager-20260105-090000.sqlite"), "");
    const clock = new FakeClock(); // 10:00, an hour later
    const { service } = maintenanceOf({ databasePath, backupPath, clock, periodMs: DAY_MS });
    service.start();

    clock.advance(DAY_MS - HOUR_MS - 1);
    await service.checkNow();
    expect(readdirSync(backupPath)).toHaveLength(1);
    clock.advance(1);
    await waitFor("the backup", () =>
      existsSync(join(backupPath, "flamenco-manager-20260106-090000.sqlite")),
    );
  });

  // How little the backup holds the thread up (its lag, the longest write) is a figure for a
  // bench, not a test bound; docs/backups.md quotes it. Here: the thread goes on committing.
  test("a backup of 200k tasks does not hold up the thread that writes and serves", async () => {
    const dir = newDir();
    const databasePath = join(dir, DATABASE);
    const farm = createTestFarm({ path: databasePath });
    const reader = new Database(databasePath, { readonly: true });
    try {
      const job = farm.addJob();
      addManyTasks(farm, farm.addTask(job), 200_000 - 1);
      const { service } = maintenanceOf({
        databasePath,
        backupPath: join(dir, "backups"),
        clock: systemClock,
      });
      const update = farm.sqlite.query("UPDATE tasks SET activity = $activity WHERE id = $id");
      const activity = reader.query<{ activity: string }, [number]>(
        "SELECT activity FROM tasks WHERE id = ?",
      );

      // The Manager's thread meanwhile: a timer that writes, each write seen committed by another
      // connection. Copying on this thread would let no timer fire until the copy was done.
      let committed = 0;
      const writer = setInterval(() => {
        const id = 1 + ((committed * 7919) % 200_000);
        update.run({ activity: `write ${committed}`, id });
        if (activity.get(id)?.activity === `write ${committed}`) committed++;
      }, 1);
      let backup;
      try {
        backup = await service.backupNow();
      } finally {
        clearInterval(writer);
      }

      expect(taskCount(backup.path)).toBe(200_000);
      expect(committed).toBeGreaterThan(2);
    } finally {
      reader.close();
      farm.close();
    }
  });
});

const JobList = z.object({
  jobs: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      updated: z.string(),
      steps_completed: z.number(),
    }),
  ),
});
type ListedJob = z.infer<typeof JobList>["jobs"][number];

async function listJobs(url: string): Promise<Map<string, ListedJob>> {
  const { jobs } = JobList.parse(await managerApi(url).get("/api/v3/jobs"));
  return new Map(jobs.map((j) => [j.id, j]));
}

function submitJob(url: string, name: string, sleepRepeats: number): Promise<string> {
  const body = {
    name,
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message: name, sleep_duration_seconds: 1, sleep_repeats: sleepRepeats },
  };
  return managerApi(url)
    .post("/api/v3/jobs", body)
    .then((job) => z.object({ id: z.string() }).parse(job).id);
}

describe("restore", () => {
  test(
    "a backup taken while fake workers stream task updates restores to a Manager serving the same jobs",
    async () => {
      const dir = newDir();
      const tm = await startTestManager({ dir, config: { backup: { period: "0s" } } });
      try {
        for (let i = 0; i < 3; i++) await submitJob(tm.url, `busy ${i}`, 300);
        const paused = await submitJob(tm.url, "paused", 5);
        await managerApi(tm.url).post(`/api/v3/jobs/${paused}/setstatus`, {
          status: "pause-requested",
          reason: "test",
        });
        await waitFor(
          "the job to pause",
          async () => (await listJobs(tm.url)).get(paused)?.status === "paused",
        );
        const stop = new AbortController();
        const stream = runStress({
          managerURL: tm.url,
          workers: 4,
          durationMs: PROCESS_TEST_TIMEOUT_MS,
          mode: "cycle",
          updatesPerTask: 2,
          credentialsPath: null,
          signal: stop.signal,
        });
        const progress = async () =>
          [...(await listJobs(tm.url)).values()].reduce((n, j) => n + j.steps_completed, 0);
        await waitFor("tasks to be completed", async () => (await progress()) > 0, 10_000);

        const before = await listJobs(tm.url);
        const backup = await tm.manager.backupNow();
        const after = await listJobs(tm.url);
        const stepsAfter = [...after.values()].reduce((n, j) => n + j.steps_completed, 0);
        await waitFor(
          "the stream to go on after the backup",
          async () => (await progress()) > stepsAfter,
          10_000,
        );
        stop.abort();
        expect((await stream).failed).toBe(0);
        await submitJob(tm.url, "after the backup", 1);
        await tm.stop();

        const target = newDir();
        const config = writeManagerConfig(target);
        const restore = await runServerCommand(["--config", config, "restore", backup.path], target);
        expect(restore).toMatchObject({ code: 0, stderr: "" });
        expect(restore.stdout).toContain(`Restored ${backup.path} (`);
        expect(restore.stdout).toContain("There was no database there before.");
        expect(restore.stdout).toContain(`Start the Manager as usual: npm run server -- --config ${config}`);

        const restored = await startManager(target);
        const served = await listJobs(restored.url);
        // The jobs of the backup's moment: all those of before and after it, none submitted later.
        expect([...served.keys()].sort()).toEqual([...before.keys()].sort());
        expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
        for (const [id, job] of served) {
          const [was, became] = [before.get(id)!, after.get(id)!];
          if (Bun.deepEquals(was, became)) expect(job).toEqual(was);
          else {
            // Changed during the backup: the restored state is one in between.
            expect(job.steps_completed).toBeWithin(was.steps_completed, became.steps_completed + 1);
            expect(Date.parse(job.updated)).toBeWithin(
              Date.parse(was.updated),
              Date.parse(became.updated) + 1,
            );
          }
        }
        expect(served.get(paused)).toMatchObject({ name: "paused", status: "paused" });
        await restored.stop();
      } finally {
        await tm.stop();
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  test(
    "refuses while a Manager uses the database, naming it, and changes nothing",
    async () => {
      const dir = newDir();
      const manager = await startManager(dir);
      const backup = join(newDir(), "backup.sqlite");
      databaseWithTasks(backup, 3);

      const restore = await runServerCommand(
        ["--config", join(dir, "flamenco-manager.yaml"), "restore", backup],
        dir,
      );

      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        `restore: another Manager (pid ${manager.proc.pid}, listening on ${manager.url}/, since `,
      );
      expect(restore.stderr).toContain(`is using ${join(dir, DATABASE)}; stop it before restoring`);
      expect(readdirSync(dir).filter((name) => name.includes("restor"))).toEqual([]);
      expect((await fetch(`${manager.url}/api/v3/version`)).ok).toBe(true);
      await manager.stop();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  /** Each case writes a file to restore at `path`. */
  const unusable: [string, (path: string) => void, string][] = [
    ["a missing file", () => undefined, "no such file"],
    ["a file that is not SQLite", (path) => writeFileSync(path, "hello"), "is not a usable SQLite database"],
    [
      "a SQLite database of something else",
      (path) => new Database(path, { create: true }).exec("CREATE TABLE t (x)"),
      "is not a Tablao database: it has no __drizzle_migrations table",
    ],
    [
      "a damaged database",
      (path) => {
        databaseWithTasks(path, 20_000);
        damageTaskIndex(path);
      },
      "is damaged (integrity check: ",
    ],
    [
      "a database of a newer Tablao",
      (path) => {
        databaseWithTasks(path, 1);
        const conn = new Database(path);
        conn.exec(
          `INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ${Date.parse("2100-01-01")})`,
        );
        conn.close();
      },
      "was made by a newer version of Tablao",
    ],
  ];
  for (const [what, make, message] of unusable) {
    test(`refuses ${what} and changes nothing`, async () => {
      const dir = newDir();
      const config = writeManagerConfig(dir);
      const backup = join(newDir(), "backup.sqlite");
      make(backup);

      const restore = await runServerCommand(["--config", config, "restore", backup], dir);

      expect(restore.code).toBe(1);
      expect(restore.stderr).toStartWith(`restore: ${backup}`);
      expect(restore.stderr).toContain(message);
      expect(readdirSync(dir)).toEqual(["flamenco-manager.yaml"]);
    });
  }

  test(
    "moves the database and its WAL aside, to be restored in its turn; an older schema is migrated at start-up",
    async () => {
      const dir = newDir();
      const database = join(dir, DATABASE);
      const manager = await startManager(dir);
      await submitJob(manager.url, "made before the restore", 1);
      await manager.stop("SIGKILL"); // leaves the job in the WAL
      expect(existsSync(`${database}-wal`)).toBe(true);
      const backup = join(newDir(), "older.sqlite");
      const { missing } = olderSchemaDatabase(backup, "from the backup");

      const restore = await runServerCommand(
        ["--config", join(dir, "flamenco-manager.yaml"), "restore", backup],
        dir,
      );

      expect(restore).toMatchObject({ code: 0, stderr: "" });
      const aside = readdirSync(dir).filter((name) => name.startsWith(`${DATABASE}.before-restore-`));
      const [moved] = aside.filter((name) =>
        /^flamenco-manager\.sqlite\.before-restore-\d{8}-\d{6}$/.test(name),
      );
      expect(moved).toBeDefined();
      expect(aside.sort()).toEqual([moved!, `${moved!}-shm`, `${moved!}-wal`]);
      expect(restore.stdout).toContain(`moved to ${join(dir, moved!)}`);
      expect(restore.stdout).toContain(`${missing.join(", ")} will be applied when the Manager starts`);
      // Nothing was lost: the moved database, opened with its WAL, still has the job.
      const old = new Database(join(dir, moved!));
      expect(old.query("SELECT name FROM jobs").all()).toEqual([{ name: "made before the restore" }]);
      old.close();

      await manager.restart();
      const served = async () => [...(await listJobs(manager.url)).values()].map((j) => j.name);
      expect(await served()).toEqual(["from the backup"]);
      await manager.stop();

      // Undone the same way: the moved-aside database, with what its WAL held, goes back.
      const undo = await runServerCommand(
        ["--config", join(dir, "flamenco-manager.yaml"), "restore", join(dir, moved!)],
        dir,
      );
      expect(undo).toMatchObject({ code: 0, stderr: "" });
      await manager.restart();
      expect(await served()).toEqual(["made before the restore"]);
      await manager.stop();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

/**
 * A database migrated without the last migration before 0006, holding one job; returns the
 * migrations it lacks, by name.
 */
function olderSchemaDatabase(path: string, jobName: string): { missing: string[] } {
  const migrations = join(newDir(), "migrations");
  cpSync(join(REPO_ROOT, "src/manager/db/migrations"), migrations, { recursive: true });
  const journalPath = join(migrations, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const missing = journal.entries.filter((e) => e.tag >= "0006").map((e) => e.tag);
  journal.entries = journal.entries.filter((e) => e.tag < "0006");
  writeFileSync(journalPath, JSON.stringify(journal));
  const conn = new Database(path, { create: true });
  migrate(drizzle({ client: conn }), { migrationsFolder: migrations });
  conn
    .query(
      `INSERT INTO jobs (created_at, updated_at, uuid, name, job_type, status, settings, metadata)
       VALUES (0, 0, '2f2cf33e-8a1c-4f6a-9a3b-0b3b7b5c1d11', $name, 'echo-sleep-test', 'paused', '{}', '{}')`,
    )
    .run({ name: jobName });
  conn.close();
  return { missing };
}
