import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { sleepSchedules, workers } from "../../../src/manager/db/schema";
import {
  SLEEP_SCHEDULER_CHECK_INTERVAL_MS,
  SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS,
  createSleepScheduler,
} from "../../../src/manager/farm/sleep-scheduler";
import { formatTimeOfDay } from "../../../src/manager/farm/sleep-schedule";
import { createHarness, type Harness } from "./harness";

const MINUTE_MS = 60_000;

/** Local "HH:MM" of now + `minutes`. */
function localTimeIn(h: Harness, minutes: number): string {
  const d = new Date(h.clock.now().getTime() + minutes * MINUTE_MS);
  return formatTimeOfDay(d.getHours() * 60 + d.getMinutes());
}

async function setup(status = "awake") {
  const h = createHarness();
  const logs: string[] = [];
  const scheduler = createSleepScheduler({
    db: h.db,
    broker: h.broker,
    clock: h.clock,
    warn: (m) => logs.push(m),
  });
  const w = await h.signedOn("nightly");
  await h.reportState(w, status);
  const row = h.worker(w.uuid)!;
  const addSchedule = (values: Partial<typeof sleepSchedules.$inferInsert>, workerId = row.id) =>
    h.db.orm
      .insert(sleepSchedules)
      .values({ workerId, isActive: true, daysOfWeek: "", startTime: "", endTime: "", ...values })
      .returning()
      .get();
  const schedule = (id: number) =>
    h.db.orm.select().from(sleepSchedules).where(eq(sleepSchedules.id, id)).get()!;
  h.clearEvents();
  return { h, w, row, scheduler, logs, addSchedule, schedule };
}

describe("the sleep scheduler loop", () => {
  test("first check two seconds after start: due schedules are applied and rescheduled", async () => {
    const { h, w, scheduler, addSchedule, schedule } = await setup();
    const s = addSchedule({ startTime: "", endTime: "" });
    scheduler.start();
    h.clock.advance(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS - 1);
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
    h.clock.advance(1);
    expect(h.worker(w.uuid)).toMatchObject({ statusRequested: "asleep", lazyStatusRequest: false });
    expect(h.workerEvents()).toMatchObject([
      { name: "nightly", status: "awake", status_change: { status: "asleep", is_lazy: false } },
    ]);
    const now = h.clock.now();
    const localMidnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    expect(schedule(s.id).nextCheck).toEqual(localMidnight);
    scheduler.stop();
  });

  test("re-asserts the schedule at its boundaries, every minute at most", async () => {
    const { h, w, scheduler, addSchedule } = await setup();
    addSchedule({ startTime: localTimeIn(h, 30), endTime: localTimeIn(h, 60) });
    scheduler.start();
    h.clock.advance(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS);
    // Awake and scheduled awake: nothing to do.
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
    expect(h.workerEvents()).toEqual([]);

    h.clock.advance(31 * MINUTE_MS);
    expect(h.worker(w.uuid)!.statusRequested).toBe("asleep");
    await h.reportState(w, "asleep");
    expect(h.worker(w.uuid)!.statusRequested).toBe("");

    h.clock.advance(10 * MINUTE_MS);
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
    h.clock.advance(20 * MINUTE_MS);
    expect(h.worker(w.uuid)!.statusRequested).toBe("awake");
    scheduler.stop();

    await h.reportState(w, "awake");
    h.clock.advance(SLEEP_SCHEDULER_CHECK_INTERVAL_MS * 24 * 60);
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
  });

  test("schedules not yet due and inactive schedules are left alone", async () => {
    const { h, w, scheduler, addSchedule } = await setup();
    const future = new Date(h.clock.now().getTime() + 10 * MINUTE_MS);
    addSchedule({ nextCheck: future });
    scheduler.start();
    h.clock.advance(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS + 5 * MINUTE_MS);
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
    h.clock.advance(6 * MINUTE_MS);
    expect(h.worker(w.uuid)!.statusRequested).toBe("asleep");
    scheduler.stop();

    const other = await setup();
    const inactive = other.addSchedule({ isActive: false });
    other.scheduler.start();
    other.h.clock.advance(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS + MINUTE_MS);
    expect(other.schedule(inactive.id).nextCheck).toBeNull();
    expect(other.h.worker(other.w.uuid)!.statusRequested).toBe("");
    other.scheduler.stop();
  });

  test("a worker in error is never touched, but its schedule is rescheduled", async () => {
    const { h, w, row, scheduler, addSchedule, schedule } = await setup();
    h.db.orm.update(workers).set({ status: "error" }).where(eq(workers.id, row.id)).run();
    const s = addSchedule({});
    scheduler.start();
    h.clock.advance(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS);
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
    expect(schedule(s.id).nextCheck).not.toBeNull();
    scheduler.stop();
  });

  test("overrules a human's request, but not its own pending one", async () => {
    const { h, w, scheduler, addSchedule } = await setup();
    await h.request("POST", `/api/v3/worker-mgt/workers/${w.uuid}/setstatus`, {
      status: "offline",
      is_lazy: true,
    });
    addSchedule({});
    scheduler.checkSchedules();
    expect(h.worker(w.uuid)).toMatchObject({ statusRequested: "asleep", lazyStatusRequest: false });
    h.clearEvents();
    h.db.orm.update(sleepSchedules).set({ nextCheck: null }).run();
    scheduler.checkSchedules();
    expect(h.workerEvents()).toEqual([]);
  });

  test("a failing schedule is logged and the others are still checked", async () => {
    const { h, w, scheduler, addSchedule, logs } = await setup();
    const second = await h.signedOn("second");
    await h.reportState(second, "awake");
    const broken = addSchedule({});
    addSchedule({}, h.worker(second.uuid)!.id);
    h.sqlite.exec(
      `CREATE TRIGGER break_schedule BEFORE UPDATE ON sleep_schedules WHEN OLD.id = ${broken.id} ` +
        `BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
    );
    scheduler.checkSchedules();
    expect(h.worker(w.uuid)!.statusRequested).toBe("");
    expect(h.worker(second.uuid)!.statusRequested).toBe("asleep");
    expect(logs.join("\n")).toContain("disk says no");
  });
});
