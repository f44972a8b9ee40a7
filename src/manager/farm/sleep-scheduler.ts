// Sleep schedules in the database and their effect on workers: storing a worker's schedule,
// applying it (a non-lazy status request), and the background loop that re-applies schedules
// when their next check falls due, on the injected clock.
import { and, eq, isNull, lte, or } from "drizzle-orm";
import { sleepSchedules, workers, type SleepScheduleRow, type WorkerRow } from "../db/schema";
import { workerById } from "../db/rows";
import { inTransaction, type Emit, type Tx } from "../db/transaction";
import type { DbOrTx } from "../db/types";
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
const UNSCHEDULED_WORKER_STATUSES = new Set(["error"]);

function scheduleOf(db: DbOrTx, workerId: number): SleepScheduleRow | undefined {
  return db.select().from(sleepSchedules).where(eq(sleepSchedules.workerId, workerId)).get();
}

/** The worker's schedule, or null when it has none; 404 for an unknown worker. */
export function fetchSleepSchedule(db: DbOrTx, workerUUID: string): SleepScheduleFields | null {
  const sched = scheduleOf(db, requireWorker(db, workerUUID).id);
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
export function scheduledStatusOfWorker(db: DbOrTx, workerId: number, now: Date): ScheduledStatus {
  return scheduledStatus(now, scheduleOf(db, workerId) ?? null);
}

/**
 * Requests the scheduled status from the worker (non-lazily: a render can take hours) unless
 * it is already there or already asked to go there. Returns the worker as saved.
 */
export function applySleepSchedule(
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

  const saved = tx
    .update(workers)
    .set({ statusRequested: scheduled, lazyStatusRequest: false, updatedAt: now })
    .where(eq(workers.id, worker.id))
    .returning()
    .get();
  emit(workerUpdate(saved));
  return saved;
}

/** Validates, stores and immediately applies a worker's new schedule. */
export function setSleepSchedule(deps: ChangeDeps, workerUUID: string, input: SleepScheduleFields): void {
  const sched = normaliseSleepSchedule(input);
  const now = deps.clock.now();
  const row = { ...sched, nextCheck: nextCheck(now, sched), updatedAt: now };
  inTransaction(deps.db, deps.broker, (tx, emit) => {
    const worker = requireWorker(tx, workerUUID);
    tx.insert(sleepSchedules)
      .values({ workerId: worker.id, createdAt: now, ...row })
      .onConflictDoUpdate({ target: sleepSchedules.workerId, set: row })
      .run();
    applySleepSchedule(tx, emit, now, worker, sched);
  });
}

export interface SleepSchedulerDeps extends ChangeDeps {
  log?: (msg: string) => void;
}

/** Re-applies active schedules whose next check is due: first shortly after start, then every minute. */
export class SleepScheduler {
  private timer: unknown = null;
  private running = false;
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: SleepSchedulerDeps) {
    this.log = deps.log ?? console.error;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(SLEEP_SCHEDULER_FIRST_CHECK_DELAY_MS);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One pass over the due schedules; a failing schedule is logged and does not stop the others. */
  checkSchedules(): void {
    const { db, broker, clock } = this.deps;
    const now = clock.now();
    const due = db
      .select()
      .from(sleepSchedules)
      .where(
        and(
          eq(sleepSchedules.isActive, true),
          or(isNull(sleepSchedules.nextCheck), lte(sleepSchedules.nextCheck, now)),
        ),
      )
      .all();
    for (const sched of due) {
      try {
        inTransaction(db, broker, (tx, emit) => {
          tx.update(sleepSchedules)
            .set({ nextCheck: nextCheck(now, sched), updatedAt: now })
            .where(eq(sleepSchedules.id, sched.id))
            .run();
          const worker = workerById(tx, sched.workerId);
          if (worker) applySleepSchedule(tx, emit, now, worker, sched);
        });
      } catch (err) {
        this.log(
          `sleep scheduler: checking the schedule of worker #${sched.workerId} failed: ${String(err)}`,
        );
      }
    }
  }

  private schedule(delayMs: number): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      try {
        this.checkSchedules();
      } catch (err) {
        this.log(`sleep scheduler: unable to fetch schedules: ${String(err)}`);
      }
      if (this.running) this.schedule(SLEEP_SCHEDULER_CHECK_INTERVAL_MS);
    }, delayMs);
  }
}
