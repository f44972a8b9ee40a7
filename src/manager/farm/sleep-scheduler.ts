// Sleep schedules in the database and their effect on workers: storing a worker's schedule,
// applying it (a non-lazy status request), and the background loop that re-applies schedules
// when their next check falls due, on the injected clock.
import type { StoredWorkerStatus } from "../../shared/statuses";
import type { Db, Tx } from "../db/connection";
import {
  dueSleepSchedules,
  saveSleepSchedule,
  setSleepScheduleNextCheck,
  sleepScheduleOfWorker,
} from "../db/queries/sleep-schedules";
import { updateWorker, workerById } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit, type Emit } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import type { ChangeDeps } from "./deps";
import { requireWorker } from "./lookup";
import {
  nextCheck,
  normaliseSleepSchedule,
  scheduledStatus,
  type ScheduledStatus,
  type SleepScheduleFields,
} from "./sleep-schedule";

export const SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS = 2_000;
export const SLEEP_SCHEDULER_CHECK_INTERVAL_MS = 60_000;

/** Workers the sleep scheduler never touches: an `error` worker waits for a human. */
const UNSCHEDULED_WORKER_STATUSES = new Set<StoredWorkerStatus>(["error"]);

/** The worker's schedule, or null when it has none; 404 for an unknown worker. */
export function fetchSleepSchedule(db: Db, workerUUID: string): SleepScheduleFields | null {
  const sched = sleepScheduleOfWorker(db, requireWorker(db, workerUUID).id);
  return sched
    ? {
        isActive: sched.isActive,
        daysOfWeek: sched.daysOfWeek,
        startTime: sched.startTime,
        endTime: sched.endTime,
      }
    : null;
}

/** What the worker's schedule dictates at `now`; `awake` without an (active) schedule. */
export function scheduledStatusOfWorker(db: Db, workerId: number, now: Date): ScheduledStatus {
  return scheduledStatus(now, sleepScheduleOfWorker(db, workerId) ?? null);
}

/**
 * Requests the scheduled status from the worker (non-lazily: a render can take hours) unless
 * it is already there or already asked to go there. Returns the worker as saved.
 */
function applySleepSchedule(
  tx: Tx,
  emit: Emit,
  now: Date,
  worker: WorkerRow,
  sched: SleepScheduleFields,
): WorkerRow {
  if (UNSCHEDULED_WORKER_STATUSES.has(worker.status)) return worker;
  const scheduled = scheduledStatus(now, sched);
  const alreadyRequested = worker.statusRequested === scheduled && !worker.lazyStatusRequest;
  const alreadyThere = worker.status === scheduled && worker.statusRequested === "";
  if (alreadyRequested || alreadyThere) return worker;

  const saved = updateWorker(tx, worker.id, {
    statusRequested: scheduled,
    lazyStatusRequest: false,
    updatedAt: now,
  });
  emit(workerUpdate(saved));
  return saved;
}

/** Validates, stores and immediately applies a worker's new schedule. */
export function setSleepSchedule(deps: ChangeDeps, workerUUID: string, input: SleepScheduleFields): void {
  const sched = normaliseSleepSchedule(input);
  const now = deps.clock.now();
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const worker = requireWorker(tx, workerUUID);
    saveSleepSchedule(tx, worker.id, { ...sched, nextCheck: nextCheck(now, sched) }, now);
    applySleepSchedule(tx, emit, now, worker, sched);
  });
}

export interface SleepSchedulerDeps extends ChangeDeps {
  warn?: (msg: string) => void;
}

/** Re-applies active schedules whose next check is due: first shortly after start, then every minute. */
export function createSleepScheduler(deps: SleepSchedulerDeps) {
  const { db, broker, clock } = deps;
  const warn = deps.warn ?? console.error;
  let timer: unknown = null;
  let running = false;

  /** One pass over the due schedules; a failing schedule is logged and does not stop the others. */
  function checkSchedules(): void {
    const now = clock.now();
    for (const sched of dueSleepSchedules(db, now)) {
      try {
        inTransaction(db, (tx) => {
          setSleepScheduleNextCheck(tx, sched.id, nextCheck(now, sched), now);
          const worker = workerById(tx, sched.workerId);
          if (worker) applySleepSchedule(tx, emitAfterCommit(broker, tx), now, worker, sched);
        });
      } catch (err) {
        warn(`sleep scheduler: checking the schedule of worker #${sched.workerId} failed: ${String(err)}`);
      }
    }
  }

  function schedule(delayMs: number): void {
    timer = clock.setTimeout(() => {
      timer = null;
      if (!running) return;
      try {
        checkSchedules();
      } catch (err) {
        warn(`sleep scheduler: unable to fetch schedules: ${String(err)}`);
      }
      if (running) schedule(SLEEP_SCHEDULER_CHECK_INTERVAL_MS);
    }, delayMs);
  }

  return {
    checkSchedules,
    start(): void {
      if (running) return;
      running = true;
      schedule(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS);
    },
    stop(): void {
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
