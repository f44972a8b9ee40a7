// Browser notifications of finished and failed jobs, for a wrangler whose dashboard tab is in the
// background: which job updates are worth one, and the remembered opt-in. Only shown while the
// page is hidden; a visible page already says it in the notification line.
import type { JobUpdate } from "../types";

/** The opt-in is per browser, like the permission it goes with. */
const BROWSER_NOTIFY_STORAGE_KEY = "tablao.browser-notifications";

export interface BrowserNotice {
  title: string;
  body: string;
  /** A later notice of the same job replaces the earlier one. */
  tag: string;
}

const NOTIFIED_STATUSES: Readonly<Record<string, string>> = { completed: "completed", failed: "failed" };

export function jobNotice(u: JobUpdate, managerName: string): BrowserNotice | null {
  const outcome = NOTIFIED_STATUSES[u.status];
  if (!outcome || u.was_deleted || !u.previous_status || u.previous_status === u.status) return null;
  return {
    title: `Job ${outcome}: ${u.name ?? u.id}`,
    body: `${managerName || "Tablao"}: job "${u.name ?? u.id}" ${outcome}.`,
    tag: `tablao-job-${u.id}`,
  };
}

export const browserNotifySupported = () => typeof Notification !== "undefined";

export function browserNotifyWanted(): boolean {
  return (
    browserNotifySupported() &&
    Notification.permission === "granted" &&
    localStorage.getItem(BROWSER_NOTIFY_STORAGE_KEY) === "on"
  );
}

export function setBrowserNotifyWanted(on: boolean): void {
  if (on) localStorage.setItem(BROWSER_NOTIFY_STORAGE_KEY, "on");
  else localStorage.removeItem(BROWSER_NOTIFY_STORAGE_KEY);
}
