import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/manager/errors";
import {
  nextCheck,
  normaliseDaysOfWeek,
  normaliseSleepSchedule,
  parseTimeOfDay,
  scheduledStatus,
  type SleepScheduleFields,
} from "../../../src/manager/farm/sleep-schedule";
import { thrownBy } from "../../support/thrown";

// Local wall-clock times: the schedule works in the Manager's timezone. 2022-06-07 is a Tuesday.
const tuesdayAt = (h: number, m: number) => new Date(2022, 5, 7, h, m, 47);
const onDay = (day: number, h: number, m: number) => new Date(2022, 5, day, h, m);
const midnightAfterTuesday = new Date(2022, 5, 8, 0, 0);

const sched = (
  startTime: string,
  endTime: string,
  daysOfWeek = "",
  isActive = true,
): SleepScheduleFields => ({
  isActive,
  daysOfWeek,
  startTime,
  endTime,
});

function badRequestOf(fn: () => unknown): string {
  const err = thrownBy(ApiError, fn);
  expect(err.status).toBe(400);
  return err.message;
}

describe("scheduledStatus", () => {
  test("no schedule or an inactive one means awake", () => {
    expect(scheduledStatus(tuesdayAt(11, 16), null)).toBe("awake");
    expect(scheduledStatus(tuesdayAt(11, 16), sched("09:00", "18:00", "", false))).toBe("awake");
  });

  test("window within a day: start inclusive, end exclusive", () => {
    const s = sched("09:00", "18:00");
    expect(scheduledStatus(tuesdayAt(11, 16), s)).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(19, 16), s)).toBe("awake");
    expect(scheduledStatus(tuesdayAt(8, 47), s)).toBe("awake");
    expect(scheduledStatus(new Date(2022, 5, 7, 9, 0, 0), s)).toBe("asleep");
    expect(scheduledStatus(new Date(2022, 5, 7, 18, 0, 0), s)).toBe("awake");
    expect(scheduledStatus(new Date(2022, 5, 7, 17, 59, 59), s)).toBe("asleep");
  });

  test("missing start means from midnight, missing end until midnight, both missing all day", () => {
    expect(scheduledStatus(tuesdayAt(7, 47), sched("", ""))).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(10, 47), sched("09:00", ""))).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(8, 47), sched("09:00", ""))).toBe("awake");
    expect(scheduledStatus(tuesdayAt(7, 47), sched("", "18:00"))).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(18, 1), sched("", "18:00"))).toBe("awake");
  });

  test("days of week restrict the window to the named days", () => {
    expect(scheduledStatus(tuesdayAt(11, 16), sched("09:00", "18:00", "mo we"))).toBe("awake");
    expect(scheduledStatus(tuesdayAt(11, 16), sched("09:00", "18:00", "tu th fr"))).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(19, 16), sched("09:00", "18:00", "tu th fr"))).toBe("awake");
    expect(scheduledStatus(tuesdayAt(8, 47), sched("09:00", "18:00", "tu th fr"))).toBe("awake");
  });

  test("a window crossing midnight is the night, not the day", () => {
    const night = sched("22:00", "06:00");
    expect(scheduledStatus(tuesdayAt(23, 30), night)).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(3, 0), night)).toBe("asleep");
    expect(scheduledStatus(tuesdayAt(22, 0), night)).toBe("asleep");
    expect(scheduledStatus(new Date(2022, 5, 7, 6, 0, 0), night)).toBe("awake");
    expect(scheduledStatus(tuesdayAt(12, 0), night)).toBe("awake");
    expect(scheduledStatus(tuesdayAt(21, 59), night)).toBe("awake");
  });

  test("a night belongs to the day it starts on", () => {
    const fridayNight = sched("22:00", "06:00", "fr");
    expect(scheduledStatus(onDay(10, 23, 0), fridayNight)).toBe("asleep"); // Friday evening
    expect(scheduledStatus(onDay(11, 5, 0), fridayNight)).toBe("asleep"); // Saturday morning
    expect(scheduledStatus(onDay(11, 23, 0), fridayNight)).toBe("awake"); // Saturday evening
    expect(scheduledStatus(onDay(10, 5, 0), fridayNight)).toBe("awake"); // Friday morning: Thursday's night
    // Sunday's night ends on Monday: the week wraps.
    expect(scheduledStatus(onDay(13, 5, 0), sched("22:00", "06:00", "su"))).toBe("asleep");
  });
});

describe("nextCheck", () => {
  test("Flamenco's cases: the next start, end or midnight, whichever comes first", () => {
    expect(nextCheck(tuesdayAt(11, 16), sched("09:00", "18:00"))).toEqual(new Date(2022, 5, 7, 18, 0));
    expect(nextCheck(tuesdayAt(19, 16), sched("09:00", "18:00"))).toEqual(midnightAfterTuesday);
    expect(nextCheck(tuesdayAt(8, 47), sched("09:00", "18:00"))).toEqual(new Date(2022, 5, 7, 9, 0));
    expect(nextCheck(tuesdayAt(7, 47), sched("", ""))).toEqual(midnightAfterTuesday);
    expect(nextCheck(tuesdayAt(10, 47), sched("09:00", ""))).toEqual(midnightAfterTuesday);
    expect(nextCheck(tuesdayAt(7, 47), sched("", "18:00"))).toEqual(new Date(2022, 5, 7, 18, 0));
  });

  test("a night window is checked at its end in the morning and at its start in the evening", () => {
    const night = sched("22:00", "06:00");
    expect(nextCheck(tuesdayAt(3, 0), night)).toEqual(new Date(2022, 5, 7, 6, 0));
    expect(nextCheck(tuesdayAt(12, 0), night)).toEqual(new Date(2022, 5, 7, 22, 0));
    expect(nextCheck(tuesdayAt(23, 0), night)).toEqual(midnightAfterTuesday);
  });

  test("a check exactly at a boundary moves on to the next one", () => {
    expect(nextCheck(new Date(2022, 5, 7, 9, 0, 0), sched("09:00", "18:00"))).toEqual(
      new Date(2022, 5, 7, 18, 0),
    );
  });
});

describe("normalisation", () => {
  test("days: lower-cased, first two letters, single spaces; commas separate too", () => {
    expect(normaliseDaysOfWeek("")).toBe("");
    expect(normaliseDaysOfWeek("    mo   tu we \n")).toBe("mo tu we");
    expect(normaliseDaysOfWeek(" Monday tuesday  wed")).toBe("mo tu we");
    expect(normaliseDaysOfWeek("mo,TU, we")).toBe("mo tu we");
    expect(normaliseDaysOfWeek("mo mo")).toBe("mo");
  });

  test("days that name no weekday are refused", () => {
    expect(badRequestOf(() => normaliseDaysOfWeek("m"))).toContain('"m"');
    expect(badRequestOf(() => normaliseDaysOfWeek("mo xx"))).toContain('"xx"');
  });

  test("times: zero-padded, range-checked", () => {
    expect(parseTimeOfDay("start_time", "9:5")).toBe(9 * 60 + 5);
    expect(parseTimeOfDay("start_time", "")).toBeNull();
    expect(badRequestOf(() => parseTimeOfDay("start_time", "24:00"))).toContain("start_time");
    expect(badRequestOf(() => parseTimeOfDay("end_time", "12:60"))).toContain("end_time");
    expect(badRequestOf(() => parseTimeOfDay("end_time", "noon"))).toContain("end_time");
  });

  test("a start after the end is kept (crossing midnight), equal times are refused", () => {
    expect(normaliseSleepSchedule(sched("22:0", "6:00", "Friday"))).toEqual(sched("22:00", "06:00", "fr"));
    expect(badRequestOf(() => normaliseSleepSchedule(sched("10:00", "10:00")))).toContain("equal");
  });
});
