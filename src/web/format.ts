// Display helpers for timestamps and progress.
import { ZERO_TIME } from "../shared/wire-time";

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** "12 s ago", "5 min ago", "3 h ago", or a date for anything older than a day. */
export function timeAgo(iso: string | undefined, now: number): string {
  if (!iso || iso === ZERO_TIME) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const age = now - t;
  if (age < 5 * SECOND_MS) return "just now";
  if (age < MINUTE_MS) return `${Math.floor(age / SECOND_MS)} s ago`;
  if (age < HOUR_MS) return `${Math.floor(age / MINUTE_MS)} min ago`;
  if (age < DAY_MS) return `${Math.floor(age / HOUR_MS)} h ago`;
  return new Date(t).toLocaleString();
}

export function fullTime(iso: string | undefined): string {
  if (!iso || iso === ZERO_TIME) return "never";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toLocaleString();
}

/** Whole percent of steps done; 0 when the total is unknown. */
export function progressPercent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
}

/**
 * Whether `candidate` is at least as recent as `current` (equal counts: events repeat state).
 * Without timestamps to compare, the candidate wins.
 */
export function isNotOlder(
  candidate: { updated?: string },
  current: { updated?: string } | undefined,
): boolean {
  if (!current?.updated || !candidate.updated) return true;
  return Date.parse(candidate.updated) >= Date.parse(current.updated);
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** "HH:MM:SS" in 24-hour local time, whatever the browser's locale prefers. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "850 ms", "42 s", "3 min 05 s", "2 h 04 min": a duration short enough for a table cell. */
export function durationText(ms: number): string {
  if (ms < SECOND_MS) return `${Math.round(ms)} ms`;
  if (ms < MINUTE_MS) return `${(ms / SECOND_MS).toFixed(ms < 10 * SECOND_MS ? 1 : 0)} s`;
  if (ms < HOUR_MS)
    return `${Math.floor(ms / MINUTE_MS)} min ${pad2(Math.floor((ms % MINUTE_MS) / SECOND_MS))} s`;
  return `${Math.floor(ms / HOUR_MS)} h ${pad2(Math.floor((ms % HOUR_MS) / MINUTE_MS))} min`;
}
