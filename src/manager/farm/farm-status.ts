// Farm status: one word summarising the farm (workers × jobs), recomputed by a background poll
// on the injected clock and promptly after job/worker status changes; `/status` is published
// only when the word changes, and the API reads the last report without touching the database.
import { count, inArray } from "drizzle-orm";
import type { Clock } from "../../shared/clock";
import { jobs, workers } from "../db/schema";
import type { Db } from "../db/types";
import type { EventBroker, PublishedEvent } from "../events/broker";
import { farmStatus } from "../events/payloads";

export type FarmStatus = "active" | "idle" | "waiting" | "asleep" | "inoperative" | "unknown" | "starting";

export const FARM_STATUS_FIRST_POLL_DELAY_MS = 1_000;
export const FARM_STATUS_POLL_INTERVAL_MS = 30_000;
/** Bursts of status changes (a farm signing on) collapse into one poll. */
export const FARM_STATUS_FORCED_POLL_DELAY_MS = 50;

const INOPERATIVE_WORKER_STATUSES = new Set(["offline", "error"]);
const WORK_JOB_STATUSES = ["active", "queued"];

export type StatusCounts = Record<string, number>;

/** The decision table of Flamenco's farm status, from per-status counts. */
export function computeFarmStatus(workerCounts: StatusCounts, jobCounts: StatusCounts): FarmStatus {
  const operative = Object.entries(workerCounts).some(
    ([status, n]) => n > 0 && !INOPERATIVE_WORKER_STATUSES.has(status),
  );
  if (!operative) return "inoperative";

  const activeJobs = jobCounts.active ?? 0;
  const workAvailable = activeJobs > 0 || (jobCounts.queued ?? 0) > 0;
  const anyAwake = (workerCounts.awake ?? 0) > 0;
  const anyAsleep = (workerCounts.asleep ?? 0) > 0;

  if (activeJobs > 0 && anyAwake) return "active";
  if (workAvailable) return "waiting";
  if (!anyAwake && anyAsleep) return "asleep";
  return "idle";
}

export function queryFarmStatus(db: Db): FarmStatus {
  const toCounts = (rows: { status: string; n: number }[]) =>
    Object.fromEntries(rows.map((r) => [r.status, r.n]));
  const workerRows = db
    .select({ status: workers.status, n: count() })
    .from(workers)
    .groupBy(workers.status)
    .all();
  const jobRows = db
    .select({ status: jobs.status, n: count() })
    .from(jobs)
    .where(inArray(jobs.status, WORK_JOB_STATUSES))
    .groupBy(jobs.status)
    .all();
  return computeFarmStatus(toCounts(workerRows), toCounts(jobRows));
}

/** Whether an event may have changed the counts the farm status is computed from. */
function affectsFarmStatus(e: PublishedEvent): boolean {
  if (e.event !== "/jobs" && e.event !== "/workers") return false;
  const p = e.payload as {
    status?: string;
    previous_status?: string;
    deleted_at?: string;
    was_deleted?: boolean;
  };
  if (p.deleted_at !== undefined || p.was_deleted) return true;
  return p.previous_status !== undefined && p.previous_status !== p.status;
}

export interface FarmStatusDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  log?: (msg: string) => void;
}

export class FarmStatusService {
  private report: FarmStatus = "starting";
  private pollTimer: unknown = null;
  private forcedTimer: unknown = null;
  private unlisten: (() => void) | null = null;
  private readonly log: (msg: string) => void;

  constructor(private readonly deps: FarmStatusDeps) {
    this.log = deps.log ?? console.error;
  }

  /** The last computed report; `starting` until the first poll. */
  current(): FarmStatus {
    return this.report;
  }

  start(): void {
    if (this.unlisten) return;
    this.unlisten = this.deps.broker.listen((e) => {
      if (affectsFarmStatus(e)) this.requestPoll();
    });
    this.schedulePoll(FARM_STATUS_FIRST_POLL_DELAY_MS);
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = null;
    const { clock } = this.deps;
    if (this.pollTimer !== null) clock.clearTimeout(this.pollTimer);
    if (this.forcedTimer !== null) clock.clearTimeout(this.forcedTimer);
    this.pollTimer = this.forcedTimer = null;
  }

  /** Recomputes now; publishes `/status` when the report changed. A DB error keeps the last one. */
  private poll(): void {
    try {
      const next = queryFarmStatus(this.deps.db);
      if (next !== this.report) {
        this.report = next;
        this.deps.broker.publish(farmStatus(next));
      }
    } catch (err) {
      this.log(`farm status: poll failed: ${String(err)}`);
    }
    if (this.unlisten) this.schedulePoll(FARM_STATUS_POLL_INTERVAL_MS);
  }

  /** Coalesced: at most one forced poll is pending. Never polls inside the broker's callback. */
  private requestPoll(): void {
    if (this.forcedTimer !== null) return;
    this.forcedTimer = this.deps.clock.setTimeout(() => {
      this.forcedTimer = null;
      this.poll();
    }, FARM_STATUS_FORCED_POLL_DELAY_MS);
  }

  private schedulePoll(delayMs: number): void {
    const { clock } = this.deps;
    if (this.pollTimer !== null) clock.clearTimeout(this.pollTimer);
    this.pollTimer = clock.setTimeout(() => {
      this.pollTimer = null;
      this.poll();
    }, delayMs);
  }
}
