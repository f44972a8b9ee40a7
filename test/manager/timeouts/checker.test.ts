import { afterEach, describe, expect, test } from "bun:test";
import {
  checkSchedule,
  createTimeoutChecker,
  TIMEOUT_CHECK_INITIAL_DELAY_MS,
  TIMEOUT_CHECK_INTERVAL_MS,
  type TimeoutSettings,
} from "../../../src/manager/timeouts/checker";
import { createFarm, type Farm } from "../../support/task-farm";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let farm: Farm;
let checker: ReturnType<typeof createTimeoutChecker> | null = null;
/** What the checker reads; a test changes it and calls settingsChanged(), as a saved configuration does. */
let settings: TimeoutSettings;

function startChecker(initial: TimeoutSettings) {
  settings = initial;
  checker = createTimeoutChecker({
    db: farm.db,
    broker: farm.broker,
    clock: farm.clock,
    stateMachine: farm.stateMachine,
    settings: () => settings,
    warn: (msg) => farm.warnings.push(msg),
  });
  checker.start();
}

function changeSettings(next: TimeoutSettings) {
  settings = next;
  checker!.settingsChanged();
}

const CANARY_MESSAGE =
  "The timeout checker timing test assumes a first check after 5 minutes and then one every minute. " +
  "Lowering these constants for manual testing breaks that test; for quick manual tests set short " +
  "task_timeout / worker_timeout values in flamenco-manager.yaml instead.";

test("canary: the checker's first delay and interval are what the timing test assumes", () => {
  if (TIMEOUT_CHECK_INITIAL_DELAY_MS !== 5 * MINUTE || TIMEOUT_CHECK_INTERVAL_MS !== MINUTE) {
    throw new Error(
      `${CANARY_MESSAGE} (now ${TIMEOUT_CHECK_INITIAL_DELAY_MS} ms / ${TIMEOUT_CHECK_INTERVAL_MS} ms)`,
    );
  }
  expect(TIMEOUT_CHECK_INITIAL_DELAY_MS).toBe(300_000);
  expect(TIMEOUT_CHECK_INTERVAL_MS).toBe(60_000);
});

describe("check schedule", () => {
  test("Flamenco's default timeouts keep the constants", () => {
    expect(checkSchedule({ taskTimeoutMs: 10 * MINUTE, workerTimeoutMs: MINUTE })).toEqual({
      initialDelayMs: TIMEOUT_CHECK_INITIAL_DELAY_MS,
      intervalMs: TIMEOUT_CHECK_INTERVAL_MS,
    });
  });

  test("short configured timeouts make the checker run as often as the shortest one", () => {
    expect(checkSchedule({ taskTimeoutMs: 10_000, workerTimeoutMs: 3_000 })).toEqual({
      initialDelayMs: 15_000,
      intervalMs: 3_000,
    });
    expect(checkSchedule({ taskTimeoutMs: 20_000, workerTimeoutMs: 0 })).toEqual({
      initialDelayMs: 100_000,
      intervalMs: 20_000,
    });
  });
});

describe("checker", () => {
  afterEach(() => {
    checker?.stop();
    checker = null;
    farm.close();
  });

  describe("timing", () => {
    test("first check after 5 minutes, then every minute, surviving a database error", async () => {
      if (TIMEOUT_CHECK_INITIAL_DELAY_MS !== 5 * MINUTE || TIMEOUT_CHECK_INTERVAL_MS !== MINUTE) {
        throw new Error(`timing assumptions do not hold; see the canary test. ${CANARY_MESSAGE}`);
      }
      const TASK_TIMEOUT = 20 * MINUTE;
      farm = createFarm();
      farm.clock.advance(Date.parse("2022-06-09T12:00:00Z") - farm.clock.now().getTime());
      const t0 = farm.clock.now().getTime();
      const worker = farm.addWorker({ name: "w" });
      const job = farm.addJob({ status: "active" });
      // Check n (n = 0, 1, 2 at t0 + 5 min + n min) has the deadline t0 − 15 min + n min, so
      // task n is the first one that check n may time out.
      const tasks = [0, 1, 2, 3].map((n) =>
        farm.addTask(job, {
          status: "active",
          worker: worker,
          lastTouchedAt: new Date(t0 - 15 * MINUTE + n * MINUTE),
        }),
      );
      // Add many tasks to the job so that failing a few does not fail it (10 % rule).
      for (let i = 0; i < 40; i++) farm.addTask(job, { status: "queued" });
      const failed = () => tasks.map((t) => farm.task(t.id).status === "failed");

      startChecker({ taskTimeoutMs: TASK_TIMEOUT, workerTimeoutMs: 0 });
      farm.clock.advance(2 * MINUTE);
      farm.clock.advance(2 * MINUTE);
      expect(failed()).toEqual([false, false, false, false]);

      farm.clock.advance(MINUTE); // t0 + 5 min: first check
      expect(failed()).toEqual([true, false, false, false]);

      farm.sqlite.exec("ALTER TABLE tasks RENAME TO tasks_unavailable");
      farm.clock.advance(MINUTE); // t0 + 6 min: second check fails on the database
      farm.sqlite.exec("ALTER TABLE tasks_unavailable RENAME TO tasks");
      expect(farm.warnings.some((w) => w.includes("no such table"))).toBe(true);
      expect(failed()).toEqual([true, false, false, false]);

      farm.clock.advance(MINUTE); // t0 + 7 min: third check, deadline t0 − 13 min
      expect(failed()).toEqual([true, true, true, false]);
    });
  });

  describe("settings changed while running", () => {
    const SECOND = 1000;

    test("a shorter timeout saved during the grace period brings the first check to five of it after start-up", () => {
      farm = createFarm();
      const job = farm.addJob({ status: "active" });
      const task = farm.addTask(job, {
        status: "active",
        worker: farm.addWorker({ name: "w" }),
        lastTouchedAt: farm.clock.now(),
      });
      for (let i = 0; i < 40; i++) farm.addTask(job);

      startChecker({ taskTimeoutMs: 10 * MINUTE, workerTimeoutMs: 0 });
      farm.clock.advance(3 * SECOND);
      changeSettings({ taskTimeoutMs: 2 * SECOND, workerTimeoutMs: 0 });
      farm.clock.advance(7 * SECOND - 1); // just before start-up + 5 × 2 s
      expect(farm.task(task.id).status).toBe("active");
      farm.clock.advance(1);
      expect(farm.task(task.id).status).toBe("failed");
    });

    test("a change that ends the grace period checks at once; after the first check the interval restarts", () => {
      farm = createFarm();
      const worker = farm.addWorker({ name: "w" });
      const job = farm.addJob({ status: "active" });
      const old = farm.addTask(job, {
        status: "active",
        worker,
        lastTouchedAt: new Date(farm.clock.now().getTime() - HOUR),
      });
      for (let i = 0; i < 40; i++) farm.addTask(job);

      startChecker({ taskTimeoutMs: 20 * MINUTE, workerTimeoutMs: 0 });
      farm.clock.advance(MINUTE);
      expect(farm.task(old.id).status).toBe("active");
      changeSettings({ taskTimeoutMs: 5 * SECOND, workerTimeoutMs: 0 }); // grace period 25 s: over
      farm.clock.advance(0);
      expect(farm.task(old.id).status).toBe("failed");

      const fresh = farm.addTask(job, { status: "active", worker, lastTouchedAt: farm.clock.now() });
      farm.clock.advance(2 * SECOND);
      changeSettings({ taskTimeoutMs: 3 * SECOND, workerTimeoutMs: 0 }); // next check 3 s from now
      farm.clock.advance(3 * SECOND - 1);
      expect(farm.task(fresh.id).status).toBe("active");
      farm.clock.advance(1);
      expect(farm.task(fresh.id).status).toBe("failed");
    });

    test("a change that keeps the schedule keeps the timers", () => {
      farm = createFarm();
      const worker = farm.addWorker({ name: "w" });
      const job = farm.addJob({ status: "active" });
      for (let i = 0; i < 40; i++) farm.addTask(job);
      startChecker({ taskTimeoutMs: 20 * MINUTE, workerTimeoutMs: 0 });
      farm.clock.advance(TIMEOUT_CHECK_INITIAL_DELAY_MS + 30 * SECOND);
      // Due at the check one minute after the first: 30 min untouched by then.
      const task = farm.addTask(job, {
        status: "active",
        worker,
        lastTouchedAt: new Date(farm.clock.now().getTime() + 30 * SECOND - 30 * MINUTE),
      });
      changeSettings({ taskTimeoutMs: 30 * MINUTE, workerTimeoutMs: 0 });
      farm.clock.advance(30 * SECOND - 1);
      expect(farm.task(task.id).status).toBe("active");
      farm.clock.advance(1);
      expect(farm.task(task.id).status).toBe("failed");
    });

    test("turning both timeouts off stops the checks; turning one on resumes them", () => {
      farm = createFarm();
      const w = farm.addWorker({ name: "w", lastSeenAt: new Date(farm.clock.now().getTime() - HOUR) });
      startChecker({ taskTimeoutMs: 10 * MINUTE, workerTimeoutMs: MINUTE });
      changeSettings({ taskTimeoutMs: 0, workerTimeoutMs: 0 });
      farm.clock.advance(TIMEOUT_CHECK_INITIAL_DELAY_MS + 10 * MINUTE);
      expect(farm.worker(w.id).status).toBe("awake");
      changeSettings({ taskTimeoutMs: 0, workerTimeoutMs: MINUTE });
      farm.clock.advance(0);
      expect(farm.worker(w.id).status).toBe("error");
    });

    test("a change before start or after stop plans nothing", () => {
      farm = createFarm();
      const w = farm.addWorker({ name: "w", lastSeenAt: new Date(farm.clock.now().getTime() - HOUR) });
      startChecker({ taskTimeoutMs: 0, workerTimeoutMs: MINUTE });
      checker!.stop();
      changeSettings({ taskTimeoutMs: 0, workerTimeoutMs: SECOND });
      farm.clock.advance(HOUR);
      expect(farm.worker(w.id).status).toBe("awake");
    });
  });

  describe("task timeout", () => {
    test("untouched active tasks fail, keeping the reason in activity and log", async () => {
      farm = createFarm();
      const worker = farm.addWorker({ name: "Paco" });
      const job = farm.addJob({ status: "active" });
      const lastTouched = new Date(farm.clock.now().getTime() - HOUR);
      const assigned = farm.addTask(job, { status: "active", worker: worker, lastTouchedAt: lastTouched });
      const unassigned = farm.addTask(job, { status: "active", lastTouchedAt: lastTouched });
      const neverTouched = farm.addTask(job, { status: "active", worker });
      const recent = farm.addTask(job, { status: "active", worker: worker, lastTouchedAt: farm.clock.now() });
      const queued = farm.addTask(job, { status: "queued", lastTouchedAt: lastTouched });
      for (let i = 0; i < 40; i++) farm.addTask(job);

      startChecker({ taskTimeoutMs: 10 * MINUTE, workerTimeoutMs: MINUTE });
      farm.clock.advance(TIMEOUT_CHECK_INITIAL_DELAY_MS - 1);
      expect(farm.task(assigned.id).status).toBe("active");
      farm.clock.advance(1);

      const a = farm.task(assigned.id);
      expect(a.status).toBe("failed");
      expect(a.activity).toBe(`Task timed out on worker Paco (${worker.uuid})`);
      expect(await farm.logLines(job, a)).toEqual([
        "task changed status active -> failed",
        `Task timed out. It was assigned to worker Paco (${worker.uuid}), but untouched since ${lastTouched.toISOString().replace(".000", "")}`,
      ]);
      const u = farm.task(unassigned.id);
      expect(u.status).toBe("failed");
      expect(u.activity).toBe("Task timed out on worker -unassigned-");
      expect(farm.eventsOf("/task").find((e) => e.id === assigned.uuid)).toMatchObject({
        status: "failed",
        previous_status: "active",
        activity: `Task timed out on worker Paco (${worker.uuid})`,
      });
      expect(farm.task(neverTouched.id).status).toBe("active");
      expect(farm.task(recent.id).status).toBe("active");
      expect(farm.task(queued.id).status).toBe("queued");
    });
  });

  describe("worker timeout", () => {
    test("a worker not seen for too long goes to error, loses its request and its tasks", async () => {
      farm = createFarm();
      const long = new Date(farm.clock.now().getTime() - HOUR);
      const gone = farm.addWorker({
        name: "Carmen",
        status: "awake",
        lastSeenAt: long,
        statusRequested: "asleep",
        lazyStatusRequest: true,
      });
      const job = farm.addJob({ status: "active" });
      const task = farm.addTask(job, { status: "active", worker: gone, lastTouchedAt: farm.clock.now() });

      const offline = farm.addWorker({ name: "offline", status: "offline", lastSeenAt: long });
      const inError = farm.addWorker({ name: "error", status: "error", lastSeenAt: long });
      const neverSeen = farm.addWorker({ name: "never seen" });
      const fresh = farm.addWorker({
        name: "fresh",
        lastSeenAt: new Date(farm.clock.now().getTime() + TIMEOUT_CHECK_INITIAL_DELAY_MS),
      });

      startChecker({ taskTimeoutMs: 10 * MINUTE, workerTimeoutMs: MINUTE });
      farm.clock.advance(TIMEOUT_CHECK_INITIAL_DELAY_MS);

      const saved = farm.worker(gone.id);
      expect(saved).toMatchObject({ status: "error", statusRequested: "", lazyStatusRequest: false });
      const requeued = farm.task(task.id);
      expect(requeued.status).toBe("queued");
      expect(requeued.activity).toBe("Task was queued by Manager because worker timed out");
      const workerEvents = farm.eventsOf("/workers");
      expect(workerEvents).toHaveLength(1);
      expect(workerEvents[0]).toMatchObject({
        id: gone.uuid,
        name: "Carmen",
        status: "error",
        previous_status: "awake",
      });
      expect(workerEvents[0]).not.toHaveProperty("status_change");
      // The task event precedes the worker event, and both follow the commit.
      const order = farm.events.map((e) => e.event).filter((e) => e === "/task" || e === "/workers");
      expect(order).toEqual(["/task", "/workers"]);

      for (const w of [offline, inError, neverSeen, fresh]) expect(farm.worker(w.id).status).toBe(w.status);
    });

    test("zero timeouts disable the checks; both zero: the checker never runs", async () => {
      farm = createFarm();
      const old = new Date(farm.clock.now().getTime() - HOUR);
      const w = farm.addWorker({ name: "w", lastSeenAt: old });
      const t = farm.addTask(farm.addJob({ status: "active" }), {
        status: "active",
        worker: w,
        lastTouchedAt: old,
      });

      startChecker({ taskTimeoutMs: 0, workerTimeoutMs: 0 });
      farm.clock.advance(TIMEOUT_CHECK_INITIAL_DELAY_MS + 10 * MINUTE);
      expect(farm.task(t.id).status).toBe("active");
      expect(farm.worker(w.id).status).toBe("awake");
      checker!.stop();

      startChecker({ taskTimeoutMs: 0, workerTimeoutMs: MINUTE });
      farm.clock.advance(TIMEOUT_CHECK_INITIAL_DELAY_MS);
      expect(farm.worker(w.id).status).toBe("error");
      expect(farm.task(t.id).status).toBe("queued");
    });
  });
});
