// The notification line and its history: which job, task and worker changes are worth a
// line (Flamenco's rules), and the capped history of them.
import { createStore, type Store } from "./store";
import type { JobUpdate, TaskUpdate, WorkerUpdate } from "./types";

export const NOTIFICATION_HISTORY_MAX = 1000;
export const NOTIFICATION_VISIBLE_MS = 5000;

export interface Notification {
  id: number;
  message: string;
  time: Date;
}

const arrow = (from: string, to: string) => `changed status ${from} ➜ ${to}`;

/** Only deletions and real status changes are worth a line; other job updates are noise. */
export function jobUpdateMessage(u: JobUpdate): string | null {
  const subject = u.name ? `Job ${u.name}` : "Job";
  if (u.was_deleted) return `${subject} was deleted`;
  if (u.previous_status && u.previous_status !== u.status)
    return `${subject} ${arrow(u.previous_status, u.status)}`;
  return null;
}

/**
 * Names the task's job when known (task names such as "echo" repeat across jobs), and says how
 * far a running task is: a worker's progress activity alone ("Progress") tells nobody anything.
 */
export function taskUpdateMessage(u: TaskUpdate, jobName?: string): string {
  let msg = `Task ${u.name}`;
  if (jobName) msg += ` of job ${JSON.stringify(jobName)}`;
  if (u.previous_status && u.previous_status !== u.status) msg += ` ${arrow(u.previous_status, u.status)}`;
  if (u.activity) msg += `: ${u.activity}`;
  if (u.status === "active" && u.steps_total > 0) {
    msg += ` (${Math.floor((u.steps_completed / u.steps_total) * 100)} %)`;
  }
  return msg;
}

export function workerUpdateMessage(u: WorkerUpdate): string | null {
  if (u.previous_status && u.previous_status !== u.status)
    return `Worker ${u.name} ${arrow(u.previous_status, u.status)}`;
  if (u.deleted_at) return `Worker ${u.name} was removed from the system`;
  return null;
}

export interface Notifications {
  /** Oldest first, at most NOTIFICATION_HISTORY_MAX entries. */
  readonly history: Store<Notification[]>;
  /** The newest notification while it is fresh, else null. */
  readonly latest: Store<Notification | null>;
  add(message: string): void;
}

export function createNotifications(now: () => Date = () => new Date()): Notifications {
  const history = createStore<Notification[]>([]);
  const latest = createStore<Notification | null>(null);
  let lastId = 0;
  let hideTimer: ReturnType<typeof setTimeout> | undefined;
  return {
    history,
    latest,
    add(message) {
      const n: Notification = { id: ++lastId, message, time: now() };
      history.update((h) => [...h.slice(Math.max(0, h.length + 1 - NOTIFICATION_HISTORY_MAX)), n]);
      latest.set(n);
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => latest.set(null), NOTIFICATION_VISIBLE_MS);
    },
  };
}
