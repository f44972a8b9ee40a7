// Farm status: one word summarising the farm (workers × jobs), recomputed by a background poll
// on the injected clock and promptly after job/worker status changes; `/status` is published
// only when the word changes, and the API reads the last report without touching the database.
import type { Clock } from "../../shared/clock";
import type { JobStatus, StoredWorkerStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { jobStatusCounts, workerStatusCounts } from "../db/queries/farm-status";
import type { EventBroker, PublishedEvent } from "../events/broker";
import { farmStatus } from "../events/payloads";

export type FarmStatus = "active" | "idle" | "waiting" | "asleep" | "inoperative" | "unknown" | "starting";

export const FARM_STATUS_FIRST_POLL_DELAY_MS = 1_000;
export const FARM_STATUS_POLL_INTERVAL_MS = 30_000;
/** Bursts of status changes (a farm signing on) collapse into one poll. */
export const FARM_STATUS_FORCED_POLL_DELAY_MS = 50;

const INOPERATIVE_WORKER_STATUSES: ReadonlySet<string> = new Set<StoredWorkerStatus>(["offline", "error"]);
/** Jobs that are work for the farm; only these are counted. */
const WORK_JOB_STATUSES: JobStatus[] = ["active", "queued"];

export type WorkerStatusCounts = Partial<Record<StoredWorkerStatus, number>>;
export type JobStatusCounts = Partial<Record<JobStatus, number>>;

/** The decision table of Flamenco's farm status, from per-status counts. */
export function computeFarmStatus(workerCounts: WorkerStatusCounts, jobCounts: JobStatusCounts): FarmStatus {
  const operative = Object.entries(workerCounts).some(
    ([status, n]) => (n ?? 0) > 0 && !INOPERATIVE_WORKER_STATUSES.has(status),
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

function queryFarmStatus(db: Db): FarmStatus {
  return computeFarmStatus(workerStatusCounts(db), jobStatusCounts(db, WORK_JOB_STATUSES));
}

/** Whether an event may have changed the counts the farm status is computed from. */
function affectsFarmStatus(e: PublishedEvent): boolean {
  switch (e.event) {
    case "/jobs":
      return e.payload.was_deleted === true || statusChanged(e.payload);
    case "/workers":
      return e.payload.deleted_at !== undefined || statusChanged(e.payload);
    default:
      return false;
  }
}

function statusChanged(p: { status: string; previous_status?: string }): boolean {
  return p.previous_status !== undefined && p.previous_status !== p.status;
}

export interface FarmStatusDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  warn?: (msg: string) => void;
}

export function createFarmStatus(deps: FarmStatusDeps) {
  const { db, broker, clock } = deps;
  const warn = deps.warn ?? console.error;
  let report: FarmStatus = "starting";
  let pollTimer: unknown = null;
  let forcedTimer: unknown = null;
  let unlisten: (() => void) | null = null;

  /** Recomputes now; publishes `/status` when the report changed. A DB error keeps the last one. */
  function poll(): void {
    try {
      const next = queryFarmStatus(db);
      if (next !== report) {
        report = next;
        broker.publish(farmStatus(next));
      }
    } catch (err) {
      warn(`farm status: poll failed: ${String(err)}`);
    }
    if (unlisten) schedulePoll(FARM_STATUS_POLL_INTERVAL_MS);
  }

  /** Coalesced: at most one forced poll is pending. Never polls inside the broker's callback. */
  function requestPoll(): void {
    if (forcedTimer !== null) return;
    forcedTimer = clock.setTimeout(() => {
      forcedTimer = null;
      poll();
    }, FARM_STATUS_FORCED_POLL_DELAY_MS);
  }

  function schedulePoll(delayMs: number): void {
    if (pollTimer !== null) clock.clearTimeout(pollTimer);
    pollTimer = clock.setTimeout(() => {
      pollTimer = null;
      poll();
    }, delayMs);
  }

  return {
    /** The last computed report; `starting` until the first poll. */
    current(): FarmStatus {
      return report;
    },

    start(): void {
      if (unlisten) return;
      unlisten = broker.listen((e) => {
        if (affectsFarmStatus(e)) requestPoll();
      });
      schedulePoll(FARM_STATUS_FIRST_POLL_DELAY_MS);
    },

    stop(): void {
      unlisten?.();
      unlisten = null;
      if (pollTimer !== null) clock.clearTimeout(pollTimer);
      if (forcedTimer !== null) clock.clearTimeout(forcedTimer);
      pollTimer = forcedTimer = null;
    },
  };
}

export type FarmStatusService = ReturnType<typeof createFarmStatus>;
