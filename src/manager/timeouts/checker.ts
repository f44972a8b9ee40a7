// The timeout checker (see docs/state-machines.md): fails active tasks nobody touched for `task_timeout`,
// and puts workers not seen for `worker_timeout` in `error`, returning their tasks to the pool.
// Both are read at every check, and a change of them re-plans the checks at once.
import { isDeepStrictEqual } from "node:util";
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import { timedOutTask, timedOutTasks, timedOutWorker, timedOutWorkers } from "../db/queries/timeouts";
import { updateWorker, workerById } from "../db/queries/workers";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import type { WorkerRequeue } from "../state-machine/requeue";
import type { TaskTimeout } from "../state-machine/task-timeout";

/**
 * Delay before the first check: gives workers time to reconnect after a Manager restart.
 * The timing test depends on this value (see test/manager/timeouts); for quick manual testing lower
 * `task_timeout` / `worker_timeout` in the configuration file instead.
 */
export const TIMEOUT_CHECK_INITIAL_DELAY_MS = 5 * 60_000;
/** Delay between checks after the first. The timing test depends on this value too. */
export const TIMEOUT_CHECK_INTERVAL_MS = 60_000;

export const WORKER_TIMED_OUT_REASON = "worker timed out";

export interface TimeoutSettings {
  /** 0 disables task timeouts. */
  taskTimeoutMs: number;
  /** 0 disables worker timeouts (Flamenco ties both to task_timeout; Tablao does not). */
  workerTimeoutMs: number;
}

export interface TimeoutCheckerDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  stateMachine: Pick<TaskTimeout, "timeOutTask"> & Pick<WorkerRequeue, "requeueWorkerTasks">;
  /** Read at every check; call settingsChanged() after it changes so the schedule follows. */
  settings: () => TimeoutSettings;
  warn: (msg: string) => void;
}

/** With short configured timeouts the first check comes after this many of the shortest one. */
export const TIMEOUT_CHECK_INITIAL_DELAY_TIMEOUTS = 5;

/**
 * When the checker runs. With Flamenco's default timeouts (task 10 min, worker 1 min) this is the
 * constants: first after 5 minutes (workers get time to come back after a Manager restart), then
 * every minute. Configured timeouts shorter than that — a studio's manual test, an e2e test —
 * make the checker run as often as the shortest timeout, and start after five of them, so short
 * timeouts from the config file take effect without touching the constants.
 */
export function checkSchedule(settings: TimeoutSettings): { initialDelayMs: number; intervalMs: number } {
  const enabled = [settings.taskTimeoutMs, settings.workerTimeoutMs].filter((ms) => ms > 0);
  const shortest = Math.min(...enabled, Number.POSITIVE_INFINITY);
  return {
    initialDelayMs: Math.min(TIMEOUT_CHECK_INITIAL_DELAY_MS, TIMEOUT_CHECK_INITIAL_DELAY_TIMEOUTS * shortest),
    intervalMs: Math.min(TIMEOUT_CHECK_INTERVAL_MS, shortest),
  };
}

function anyTimeoutOn(settings: TimeoutSettings): boolean {
  return settings.taskTimeoutMs > 0 || settings.workerTimeoutMs > 0;
}

export function createTimeoutChecker(deps: TimeoutCheckerDeps) {
  const { db, broker, clock, stateMachine, settings, warn } = deps;
  let firstTimer: unknown = null;
  let intervalTimer: unknown = null;
  /** When start() ran; null while stopped. The grace period before the first check counts from here. */
  let startedAt: number | null = null;
  let firstCheckDone = false;
  /** The schedule the timers follow; null when no check is planned. */
  let planned: { initialDelayMs: number; intervalMs: number } | null = null;

  /** One task per transaction: a task that cannot be failed does not hold up the others. */
  function timeOutTasks(now: Date): void {
    const { taskTimeoutMs } = settings();
    if (taskTimeoutMs <= 0) return;
    const deadline = new Date(now.getTime() - taskTimeoutMs);
    for (const id of timedOutTasks(db, deadline)) {
      try {
        inTransaction(db, (tx) => {
          // Re-checked inside the transaction: failing an earlier task of the list may have failed
          // its job, and with it canceled this task.
          const task = timedOutTask(tx, id, deadline);
          if (!task) return;
          const worker = task.workerId === null ? null : (workerById(tx, task.workerId) ?? null);
          stateMachine.timeOutTask(tx, emitAfterCommit(broker, tx), task, worker);
        });
      } catch (err) {
        warn(`timeout checker: could not time out task ${id}: ${String(err)}`);
      }
    }
  }

  function timeOutWorkers(now: Date): void {
    const { workerTimeoutMs } = settings();
    if (workerTimeoutMs <= 0) return;
    const deadline = new Date(now.getTime() - workerTimeoutMs);
    for (const id of timedOutWorkers(db, deadline)) {
      try {
        inTransaction(db, (tx) => {
          const emit = emitAfterCommit(broker, tx);
          // Re-checked inside the transaction: the worker may have called in meanwhile.
          const worker = timedOutWorker(tx, id, deadline);
          if (!worker) return;
          const saved = updateWorker(tx, id, {
            status: "error",
            statusRequested: "",
            lazyStatusRequest: false,
            updatedAt: now,
          });
          stateMachine.requeueWorkerTasks(tx, emit, saved, WORKER_TIMED_OUT_REASON);
          emit(workerUpdate(saved, { previousStatus: worker.status }));
        });
      } catch (err) {
        warn(`timeout checker: could not time out worker ${id}: ${String(err)}`);
      }
    }
  }

  /** One round: tasks first, then workers. Errors are logged; the loop carries on. */
  function check(): void {
    const now = clock.now();
    for (const step of [timeOutTasks, timeOutWorkers]) {
      try {
        step(now);
      } catch (err) {
        warn(`timeout checker: ${step.name} failed: ${String(err)}`);
      }
    }
  }

  function clearTimers(): void {
    if (firstTimer !== null) clock.clearTimeout(firstTimer);
    if (intervalTimer !== null) clock.clearInterval(intervalTimer);
    firstTimer = intervalTimer = null;
    planned = null;
  }

  /**
   * Sets the timers from the current settings. The first check waits out the grace period
   * counted from start-up (at once when a change made it end already); after it, checks
   * follow the interval, restarted from now.
   */
  function plan(since: number): void {
    clearTimers();
    const current = settings();
    if (!anyTimeoutOn(current)) return;
    const schedule = checkSchedule(current);
    planned = schedule;
    if (firstCheckDone) {
      intervalTimer = clock.setInterval(check, schedule.intervalMs);
      return;
    }
    const waitMs = Math.max(0, since + schedule.initialDelayMs - clock.now().getTime());
    firstTimer = clock.setTimeout(() => {
      firstTimer = null;
      firstCheckDone = true;
      check();
      intervalTimer = clock.setInterval(check, schedule.intervalMs);
    }, waitMs);
  }

  return {
    check,
    start(): void {
      startedAt = clock.now().getTime();
      firstCheckDone = false;
      plan(startedAt);
    },
    /** Re-plans the checks when the timeouts changed their schedule (or turned checking on or off). */
    settingsChanged(): void {
      if (startedAt === null) return;
      const current = settings();
      const wanted = anyTimeoutOn(current) ? checkSchedule(current) : null;
      if (!isDeepStrictEqual(wanted, planned)) plan(startedAt);
    },
    stop(): void {
      clearTimers();
      startedAt = null;
    },
  };
}
