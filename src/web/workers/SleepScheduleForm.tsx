// Editing a worker's sleep schedule: active flag, days of the week and the daily window. Times
// are typed as 24-hour HH:MM text: a native time input follows the browser's locale, which shows
// en-US users a 12-hour "--:-- --" field.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { SleepSchedule } from "../types";
import { useApp } from "../ui/context";
import { Form } from "../ui/widgets";

const EMPTY: SleepSchedule = { is_active: false, days_of_week: "", start_time: "", end_time: "" };

/** The Manager keeps the first two letters of each whitespace-separated day name. */
export function daysOfWeekProblem(days: string): string | null {
  const bad = days.split(/\s+/).filter((d) => d.length === 1);
  return bad.length ? `Day names need at least two letters: ${bad.join(", ")}` : null;
}

/** HH:MM, 24-hour, as the Manager stores it; empty means the start (or end) of the day. */
const TIME_OF_DAY = /^$|^([01]\d|2[0-3]):[0-5]\d$/;

export function timeOfDayProblem(label: string, value: string): string | null {
  return TIME_OF_DAY.test(value.trim()) ? null : `${label}: use 24-hour HH:MM, e.g. 22:30`;
}

function TimeOfDay({
  label,
  value,
  onValue,
}: {
  label: string;
  value: string;
  onValue: (v: string) => void;
}) {
  return (
    <input
      type="text"
      class="time-of-day"
      inputMode="numeric"
      placeholder="HH:MM"
      maxLength={5}
      pattern="([01][0-9]|2[0-3]):[0-5][0-9]"
      aria-label={label}
      aria-invalid={timeOfDayProblem(label, value) !== null}
      value={value}
      onInput={(e) => onValue(e.currentTarget.value)}
    />
  );
}

export function SleepScheduleForm({ workerId }: { workerId: string }) {
  const { state } = useApp();
  const [schedule, setSchedule] = useState<SleepSchedule>(EMPTY);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const load = () =>
      state.attempt("load the sleep schedule", async () =>
        setSchedule((await api.sleepSchedule(workerId)) ?? EMPTY),
      );
    void load();
    return state.resyncs.subscribe(() => void load());
  }, [workerId]);
  const edit = (patch: Partial<SleepSchedule>) => {
    setSaved(false);
    setSchedule({ ...schedule, ...patch });
  };
  const problem =
    daysOfWeekProblem(schedule.days_of_week) ??
    timeOfDayProblem("Sleep from", schedule.start_time) ??
    timeOfDayProblem("until", schedule.end_time);
  const save = async () =>
    setSaved(
      await state.attempt("save the sleep schedule", () =>
        api.setSleepSchedule(workerId, {
          ...schedule,
          start_time: schedule.start_time.trim(),
          end_time: schedule.end_time.trim(),
        }),
      ),
    );
  return (
    <Form
      class="sleep-schedule"
      aria-label="Sleep schedule"
      canSubmit={!problem}
      onSubmit={() => void save()}
    >
      <h3>Sleep schedule</h3>
      <div class="form-row">
        <label class="check">
          <input
            type="checkbox"
            checked={schedule.is_active}
            onChange={(e) => edit({ is_active: e.currentTarget.checked })}
          />
          active
        </label>
        <label>
          Days
          <input
            type="text"
            class="days"
            placeholder="every day, or: mo tu we"
            value={schedule.days_of_week}
            onInput={(e) => edit({ days_of_week: e.currentTarget.value })}
          />
        </label>
      </div>
      <div class="form-row">
        <label>
          Sleep from
          <TimeOfDay
            label="Sleep from"
            value={schedule.start_time}
            onValue={(v) => edit({ start_time: v })}
          />
        </label>
        <label>
          until
          <TimeOfDay label="until" value={schedule.end_time} onValue={(v) => edit({ end_time: v })} />
        </label>
        <button type="submit" disabled={!!problem}>
          Save schedule
        </button>
        {problem && <span class="error">{problem}</span>}
        {saved && <span class="hint">saved</span>}
      </div>
    </Form>
  );
}
