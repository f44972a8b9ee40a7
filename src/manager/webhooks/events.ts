// The webhook events: which broker events become which webhook event, with the key naming the
// occurrence (so a re-sent event never queues a second delivery) and a one-line summary that the
// chat presets show. Pure functions of the broker event; no I/O.
import type { PublishedEvent } from "../events/broker";

export const WEBHOOK_EVENTS = [
  "job.completed",
  "job.failed",
  "job.paused",
  "worker.error",
  "worker.offline",
  "farm.idle",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Only the "send test" button makes these; they cannot be subscribed to. */
export const TEST_EVENT = "test";
export type DeliveryEvent = WebhookEvent | typeof TEST_EVENT;

export const isWebhookEvent = (s: string): s is WebhookEvent =>
  (WEBHOOK_EVENTS as readonly string[]).includes(s);

/** Farm statuses after which "idle" means the farm just ran out of work. */
const BUSY_FARM_STATUSES: ReadonlySet<string> = new Set(["active", "waiting"]);

export interface JobSubject {
  id: string;
  name: string;
  type: string;
  status: string;
  previous_status: string;
  steps_completed: number;
  steps_total: number;
}

export interface WorkerSubject {
  id: string;
  name: string;
  status: string;
  previous_status: string;
}

/** What happened, before the delivery adds its id, time and Manager name. */
export interface WebhookOccurrence {
  event: WebhookEvent;
  /** Unique per occurrence of the event; see the module header. */
  dedupeKey: string;
  job?: JobSubject;
  worker?: WorkerSubject;
  farm?: { status: string; previous_status: string };
}

const JOB_EVENT_BY_STATUS: Readonly<Record<string, WebhookEvent>> = {
  completed: "job.completed",
  failed: "job.failed",
  paused: "job.paused",
};
const WORKER_EVENT_BY_STATUS: Readonly<Record<string, WebhookEvent>> = {
  error: "worker.error",
  offline: "worker.offline",
};

/**
 * Tracks the farm status between calls, because the `/status` event carries no previous status.
 * Status changes only count when the event says what the status was before: events that re-send
 * the current state (a priority change, say) carry no previous status.
 */
export function createOccurrenceMapper() {
  let farmStatus = "";
  return (e: PublishedEvent): WebhookOccurrence | null => {
    switch (e.event) {
      case "/jobs": {
        const p = e.payload;
        const event = JOB_EVENT_BY_STATUS[p.status];
        if (!event || p.was_deleted || !p.previous_status || p.previous_status === p.status) return null;
        return {
          event,
          dedupeKey: `${event}:${p.id}:${p.updated}`,
          job: {
            id: p.id,
            name: p.name ?? "",
            type: p.type,
            status: p.status,
            previous_status: p.previous_status,
            steps_completed: p.steps_completed,
            steps_total: p.steps_total,
          },
        };
      }
      case "/workers": {
        const p = e.payload;
        const event = WORKER_EVENT_BY_STATUS[p.status];
        if (!event || p.deleted_at || p.previous_status === undefined || p.previous_status === p.status)
          return null;
        return {
          event,
          dedupeKey: `${event}:${p.id}:${p.updated}`,
          worker: { id: p.id, name: p.name, status: p.status, previous_status: p.previous_status },
        };
      }
      case "/status": {
        const previous = farmStatus;
        farmStatus = e.payload.status;
        if (farmStatus !== "idle" || !BUSY_FARM_STATUSES.has(previous)) return null;
        return {
          event: "farm.idle",
          dedupeKey: `farm.idle:${crypto.randomUUID()}`,
          farm: { status: farmStatus, previous_status: previous },
        };
      }
      default:
        return null;
    }
  };
}

/** The one-line summary the chat presets send; `reason` is the job's activity, when known. */
export function summary(o: Pick<WebhookOccurrence, "event" | "job" | "worker">, reason = ""): string {
  const because = reason ? `: ${reason}` : "";
  switch (o.event) {
    case "job.completed":
      return `Job "${o.job?.name}" completed`;
    case "job.failed":
      return `Job "${o.job?.name}" failed${because}`;
    case "job.paused":
      return `Job "${o.job?.name}" paused${because}`;
    case "worker.error":
      return `Worker "${o.worker?.name}" is in error (was ${o.worker?.previous_status || "new"})`;
    case "worker.offline":
      return `Worker "${o.worker?.name}" went offline (was ${o.worker?.previous_status || "new"})`;
    case "farm.idle":
      return "The farm is idle: no more work";
  }
}
