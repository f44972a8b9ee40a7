// The timeout checker (workers.md §10): fails active tasks nobody touched for `task_timeout`,
// and puts workers not seen for `worker_timeout` in `error`, returning their tasks to the pool.
import { and, asc, eq, isNotNull, lte, notInArray } from "drizzle-orm";
import type { Clock } from "../../shared/clock";
import { workerById } from "../db/rows";
import { tasks, workers } from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { Db } from "../db/types";
import type { EventBroker } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import type { WorkerRequeue } from "../state-machine/requeue";
import type { TaskTimeout } from "../state-machine/task-timeout";

/**
 * Delay before the first check: gives workers time to reconnect after a Manager restart.
 * The timing test depends on this value (see test/timeouts); for quick manual testing lower
 * `task_timeout` / `worker_timeout` in the configuration file instead.
 */
export const TIMEOUT_CHECK_INITIAL_DELAY_MS = 5 * 60_000;
/** Delay between checks after the first. The timing test depends on this value too. */
export const TIMEOUT_CHECK_INTERVAL_MS = 60_000;

export const WORKER_TIMED_OUT_REASON = "worker timed out";
/** Statuses in which a worker is not expected to call in, so it cannot time out. */
const NOT_TIMING_OUT: readonly string[] = ["error", "offline"];

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
  settings: TimeoutSettings;
  log: (msg: string) => void;
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

export function createTimeoutChecker(deps: TimeoutCheckerDeps) {
  const { db, broker, clock, stateMachine, settings, log } = deps;
  let firstTimer: unknown = null;
  let intervalTimer: unknown = null;

  /** One task per transaction: a task that cannot be failed does not hold up the others. */
  function timeOutTasks(now: Date): void {
    if (settings.taskTimeoutMs <= 0) return;
    const deadline = new Date(now.getTime() - settings.taskTimeoutMs);
    const overdue = db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.status, "active"), lte(tasks.lastTouchedAt, deadline)))
      // Oldest first; the partial index on active tasks finds them, so only those few are sorted.
      .orderBy(asc(tasks.lastTouchedAt), asc(tasks.id))
      .all();
    for (const { id } of overdue) {
      try {
        inTransaction(db, broker, (tx, emit) => {
          // Re-checked inside the transaction: the worker may have reported in meanwhile.
          const task = tx.select().from(tasks).where(eq(tasks.id, id)).get();
          if (!task || task.status !== "active" || !task.lastTouchedAt || task.lastTouchedAt > deadline)
            return;
          const worker = task.workerId === null ? null : (workerById(tx, task.workerId) ?? null);
          stateMachine.timeOutTask(tx, emit, task, worker);
        });
      } catch (err) {
        log(`timeout checker: could not time out task ${id}: ${String(err)}`);
      }
    }
  }

  function timeOutWorkers(now: Date): void {
    if (settings.workerTimeoutMs <= 0) return;
    const deadline = new Date(now.getTime() - settings.workerTimeoutMs);
    const overdue = and(
      isNotNull(workers.lastSeenAt),
      lte(workers.lastSeenAt, deadline),
      notInArray(workers.status, [...NOT_TIMING_OUT]),
    );
    const found = db.select({ id: workers.id }).from(workers).where(overdue).orderBy(asc(workers.id)).all();
    for (const { id } of found) {
      try {
        inTransaction(db, broker, (tx, emit) => {
          // Re-checked inside the transaction: the worker may have called in meanwhile.
          const worker = tx
            .select()
            .from(workers)
            .where(and(eq(workers.id, id), overdue))
            .get();
          if (!worker) return;
          const saved = tx
            .update(workers)
            .set({ status: "error", statusRequested: "", lazyStatusRequest: false, updatedAt: now })
            .where(eq(workers.id, id))
            .returning()
            .get()!;
          stateMachine.requeueWorkerTasks(tx, emit, saved, WORKER_TIMED_OUT_REASON);
          emit(workerUpdate(saved, { previousStatus: worker.status }));
        });
      } catch (err) {
        log(`timeout checker: could not time out worker ${id}: ${String(err)}`);
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
        log(`timeout checker: ${step.name} failed: ${String(err)}`);
      }
    }
  }

  return {
    check,
    start(): void {
      if (settings.taskTimeoutMs <= 0 && settings.workerTimeoutMs <= 0) return;
      const { initialDelayMs, intervalMs } = checkSchedule(settings);
      firstTimer = clock.setTimeout(() => {
        firstTimer = null;
        check();
        intervalTimer = clock.setInterval(check, intervalMs);
      }, initialDelayMs);
    },
    stop(): void {
      if (firstTimer !== null) clock.clearTimeout(firstTimer);
      if (intervalTimer !== null) clock.clearInterval(intervalTimer);
      firstTimer = intervalTimer = null;
    },
  };
}

export type TimeoutChecker = ReturnType<typeof createTimeoutChecker>;
