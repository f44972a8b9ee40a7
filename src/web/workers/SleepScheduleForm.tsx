// Editing a worker's sleep schedule: active flag, days of the week and the daily window.
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
    return state.live.connects.subscribe(() => void load());
  }, [workerId]);
  const edit = (patch: Partial<SleepSchedule>) => {
    setSaved(false);
    setSchedule({ ...schedule, ...patch });
  };
  const problem = daysOfWeekProblem(schedule.days_of_week);
  const save = async () =>
    setSaved(await state.attempt("save the sleep schedule", () => api.setSleepSchedule(workerId, schedule)));
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
          <input
            type="time"
            value={schedule.start_time}
            onInput={(e) => edit({ start_time: e.currentTarget.value })}
          />
        </label>
        <label>
          until
          <input
            type="time"
            value={schedule.end_time}
            onInput={(e) => edit({ end_time: e.currentTarget.value })}
          />
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
