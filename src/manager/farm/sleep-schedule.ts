// Sleep-schedule arithmetic, free of I/O: parsing and normalising what a client sends, the
// status a schedule dictates at an instant, and when it must be checked next. All wall-clock
// reasoning uses the Manager's local timezone, as Flamenco does.
import { badRequest } from "../errors";

export type ScheduledStatus = "awake" | "asleep";

/** What the API exchanges (`WorkerSleepSchedule`), also the normalised stored form. */
export interface SleepScheduleFields {
  isActive: boolean;
  /** Two-letter day names separated by single spaces; `""` means every day. */
  daysOfWeek: string;
  /** `"HH:MM"` or `""` for "no value". */
  startTime: string;
  endTime: string;
}

const MINUTES_PER_DAY = 24 * 60;
/** Indexed by `Date.getDay()`. */
const DAY_NAMES = ["su", "mo", "tu", "we", "th", "fr", "sa"] as const;
const TIME_OF_DAY = /^(\d{1,2}):(\d{1,2})$/;

/** Minutes since midnight, or null for `""`; throws a 400 for anything else unusable. */
export function parseTimeOfDay(field: string, value: string): number | null {
  const text = value.trim();
  if (text === "") return null;
  const m = TIME_OF_DAY.exec(text);
  const hours = m ? Number(m[1]) : NaN;
  const minutes = m ? Number(m[2]) : NaN;
  if (!(hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59)) {
    throw badRequest(`invalid ${field} ${JSON.stringify(value)}: expected HH:MM between 00:00 and 23:59`);
  }
  return hours * 60 + minutes;
}

export function formatTimeOfDay(minutes: number | null): string {
  if (minutes === null) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * `" Monday,tuesday  wed"` → `"mo tu we"`. Unlike Flamenco, commas separate days too and
 * tokens that name no weekday are refused instead of silently never matching.
 */
export function normaliseDaysOfWeek(value: string): string {
  const days: string[] = [];
  for (const token of value.toLowerCase().split(/[\s,]+/)) {
    if (token === "") continue;
    const day = token.slice(0, 2);
    if (token.length < 2 || !(DAY_NAMES as readonly string[]).includes(day)) {
      throw badRequest(
        `invalid day of week ${JSON.stringify(token)} in days_of_week: use names such as "mo tu we"`,
      );
    }
    if (!days.includes(day)) days.push(day);
  }
  return days.join(" ");
}

/**
 * Validates and normalises a schedule as given by a client. A start after the end is a window
 * that crosses midnight (22:00-06:00 is the night), not a mistake to swap as Flamenco does.
 */
export function normaliseSleepSchedule(input: SleepScheduleFields): SleepScheduleFields {
  const start = parseTimeOfDay("start_time", input.startTime);
  const end = parseTimeOfDay("end_time", input.endTime);
  if (start !== null && start === end) {
    throw badRequest("start_time and end_time are equal, so the schedule would never apply");
  }
  return {
    isActive: input.isActive,
    daysOfWeek: normaliseDaysOfWeek(input.daysOfWeek),
    startTime: formatTimeOfDay(start),
    endTime: formatTimeOfDay(end),
  };
}

function minuteOfDay(d: Date): number {
  return d.getHours() * 60 + d.getMinutes();
}

/** `day` as `Date.getDay()` counts. */
function isSleepDay(daysOfWeek: string, day: number): boolean {
  const name = DAY_NAMES[day];
  return daysOfWeek === "" || (name !== undefined && daysOfWeek.split(" ").includes(name));
}

/**
 * The status a schedule dictates at `now`: asleep from start (inclusive) to end (exclusive),
 * minute resolution. A missing start means from midnight, a missing end until midnight. For a
 * window crossing midnight, `days_of_week` names the day the night begins on.
 */
export function scheduledStatus(now: Date, sched: SleepScheduleFields | null): ScheduledStatus {
  if (!sched || !sched.isActive) return "awake";
  const start = parseTimeOfDay("start_time", sched.startTime) ?? 0;
  const end = parseTimeOfDay("end_time", sched.endTime) ?? MINUTES_PER_DAY;
  const tod = minuteOfDay(now);
  const today = now.getDay();

  if (start < end) {
    return isSleepDay(sched.daysOfWeek, today) && tod >= start && tod < end ? "asleep" : "awake";
  }
  if (tod >= start) return isSleepDay(sched.daysOfWeek, today) ? "asleep" : "awake";
  if (tod < end) return isSleepDay(sched.daysOfWeek, (today + 6) % 7) ? "asleep" : "awake";
  return "awake";
}

/** `minutes` after local midnight of the day `dayOffset` days from `now`'s. */
function onLocalDay(now: Date, dayOffset: number, minutes: number): Date {
  return new Date(
    now.getFullYear(),
    now.getMonth(),
    now.getDate() + dayOffset,
    Math.floor(minutes / 60),
    minutes % 60,
  );
}

/**
 * When the schedule must be evaluated again: the earliest of the next local midnight (the
 * day may change the verdict) and the next occurrence of its start and end times.
 */
export function nextCheck(now: Date, sched: SleepScheduleFields): Date {
  const candidates = [onLocalDay(now, 1, 0)];
  for (const [field, value] of [
    ["start_time", sched.startTime],
    ["end_time", sched.endTime],
  ] as const) {
    const minutes = parseTimeOfDay(field, value);
    if (minutes === null) continue;
    const today = onLocalDay(now, 0, minutes);
    candidates.push(today > now ? today : onLocalDay(now, 1, minutes));
  }
  return new Date(Math.min(...candidates.map((d) => d.getTime())));
}
