// The periodic database check: a sound database passes, a damaged index and an orphaned row are
// found and reported (log and `/database-check` event), and the schedule follows the setting.
import { afterEach, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { createEventBroker, type PublishedEvent } from "../../../src/manager/events/broker";
import {
  createDatabaseMaintenance,
  DATABASE_CHECK_FIRST_DELAY_MS,
  type DatabaseMaintenance,
} from "../../../src/manager/backup/maintenance";
import type { LogLevel } from "../../../src/shared/log";
import { createTestFarm } from "../../support/builders";
import { FakeClock } from "../../support/fake-clock";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";
import { damageTaskIndex, databaseWithTasks } from "./support";

const newDir = tempDirs("tablao-integrity");
const CHECK_PERIOD_MS = 10 * 60_000;

let stopLater: DatabaseMaintenance[] = [];
afterEach(async () => {
  await Promise.all(stopLater.map((m) => m.stop()));
  stopLater = [];
});

/** The service on `databasePath`, with what it logs and publishes recorded. */
function maintenanceOf(databasePath: string, checkPeriodMs = CHECK_PERIOD_MS) {
  const clock = new FakeClock();
  const broker = createEventBroker();
  const events: PublishedEvent[] = [];
  broker.listen((e) => events.push(e));
  const logs: { level: LogLevel; msg: string }[] = [];
  const service = createDatabaseMaintenance({
    databasePath,
    checkPeriodMs,
    backup: { periodMs: 0, keep: 1, path: join(newDir(), "backups") },
    broker,
    clock,
    log: (level, msg) => logs.push({ level, msg }),
  });
  stopLater.push(service);
  const checkEvents = () => events.filter((e) => e.event === "/database-check").map((e) => e.payload);
  return { service, clock, logs, checkEvents };
}

test("a sound database passes: an ok event, nothing logged above debug", async () => {
  const path = join(newDir(), "flamenco-manager.sqlite");
  databaseWithTasks(path, 1_000);
  const { service, logs, checkEvents } = maintenanceOf(path);

  const result = await service.checkNow();

  expect(result).toMatchObject({ ok: true, problems: [] });
  const [event, ...more] = checkEvents();
  expect(more).toEqual([]);
  expect(event).toEqual({
    ok: true,
    problems: [],
    checked_at: "2026-01-05T10:00:00.000Z",
    duration_ms: Math.round(result.durationMs),
  });
  expect(logs.filter((l) => l.level !== "debug")).toEqual([]);
});

test("a damaged index page in a copy of a database is reported in the log and as an event", async () => {
  const dir = newDir();
  const original = join(dir, "flamenco-manager.sqlite");
  databaseWithTasks(original, 20_000);
  const copy = join(dir, "copy.sqlite");
  copyFileSync(original, copy);
  damageTaskIndex(copy);
  const { service, logs, checkEvents } = maintenanceOf(copy);

  const result = await service.checkNow();

  expect(result.ok).toBe(false);
  expect(result.problems.length).toBeGreaterThan(0);
  const [event] = checkEvents();
  expect(event).toMatchObject({ ok: false, problems: result.problems });
  const errors = logs.filter((l) => l.level === "error").map((l) => l.msg);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(`database check: ${copy} has ${result.problems.length} problem(s)`);
  expect(errors[0]).toContain("restore a backup");
  // The original was not touched.
  expect((await maintenanceOf(original).service.checkNow()).ok).toBe(true);
});

test("a row whose parent is missing (written with foreign keys off) is reported", async () => {
  const path = join(newDir(), "flamenco-manager.sqlite");
  const farm = createTestFarm({ path });
  try {
    const task = farm.addTask(farm.addJob());
    farm.sqlite.exec("PRAGMA foreign_keys = OFF");
    farm.sqlite
      .query("INSERT INTO task_failures (created_at, task_id, worker_id) VALUES (0, $task, 4242)")
      .run({ task: task.id });
    farm.sqlite.exec("PRAGMA foreign_keys = ON");

    // Checked while the Manager's connection has the database open, as in production.
    const result = await maintenanceOf(path).service.checkNow();

    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^row \d+ of task_failures refers to a missing row of workers$/);
  } finally {
    farm.close();
  }
});

test("checks run a short delay after start, then every period; a period of 0 runs none", async () => {
  const path = join(newDir(), "flamenco-manager.sqlite");
  databaseWithTasks(path, 10);
  const scheduled = maintenanceOf(path);
  scheduled.service.start();

  scheduled.clock.advance(DATABASE_CHECK_FIRST_DELAY_MS - 1);
  // Jobs run in order, so a check asked for now ends after any the clock started.
  await scheduled.service.checkNow();
  expect(scheduled.checkEvents()).toHaveLength(1);
  scheduled.clock.advance(1);
  await waitFor("the first scheduled check", () => scheduled.checkEvents().length === 2);
  scheduled.clock.advance(CHECK_PERIOD_MS);
  await waitFor("the second scheduled check", () => scheduled.checkEvents().length === 3);

  const off = maintenanceOf(path, 0);
  off.service.start();
  off.clock.advance(24 * 60 * 60_000);
  await off.service.checkNow();
  expect(off.checkEvents()).toHaveLength(1);
});
