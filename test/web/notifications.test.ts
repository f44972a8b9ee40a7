import { describe, expect, test } from "bun:test";
import {
  createNotifications,
  jobUpdateMessage,
  NOTIFICATION_HISTORY_MAX,
  taskUpdateMessage,
  workerUpdateMessage,
} from "../../src/web/notifications";
import type { JobUpdate, TaskUpdate, WorkerUpdate } from "../../src/web/types";

const T = "2026-04-13T10:08:58.123Z";
const job = (over: Partial<JobUpdate>): JobUpdate => ({
  id: "b6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d",
  name: "shot-010",
  updated: T,
  status: "active",
  type: "simple-blender-render",
  priority: 50,
  refresh_tasks: false,
  steps_completed: 0,
  steps_total: 3,
  ...over,
});
const task = (over: Partial<TaskUpdate>): TaskUpdate => ({
  id: "c6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d",
  job_id: "b6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d",
  name: "render-1-10",
  updated: T,
  status: "active",
  activity: "",
  steps_completed: 0,
  steps_total: 1,
  ...over,
});
const worker = (over: Partial<WorkerUpdate>): WorkerUpdate => ({
  id: "d6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d",
  name: "node-7",
  updated: T,
  status: "asleep",
  version: "3.9",
  can_restart: false,
  ...over,
});

describe("notification messages", () => {
  test("job: status changes and deletions only", () => {
    expect(jobUpdateMessage(job({ previous_status: "queued" }))).toBe(
      "Job shot-010 changed status queued ➜ active",
    );
    expect(jobUpdateMessage(job({ was_deleted: true }))).toBe("Job shot-010 was deleted");
    expect(jobUpdateMessage(job({ was_deleted: true, name: undefined }))).toBe("Job was deleted");
    expect(jobUpdateMessage(job({}))).toBeNull();
    expect(jobUpdateMessage(job({ previous_status: "active" }))).toBeNull();
  });

  test("task: always a line, with arrow and activity when present, and the progress of a running task", () => {
    expect(taskUpdateMessage(task({}))).toBe("Task render-1-10 (0 %)");
    expect(taskUpdateMessage(task({ previous_status: "queued", activity: "Rendering frame 3" }))).toBe(
      "Task render-1-10 changed status queued ➜ active: Rendering frame 3 (0 %)",
    );
    expect(taskUpdateMessage(task({ status: "failed", previous_status: "active", activity: "x" }))).toBe(
      "Task render-1-10 changed status active ➜ failed: x",
    );
  });

  test("task: named with its job, so that 'echo' of one job is told from another's", () => {
    expect(
      taskUpdateMessage(
        task({ name: "echo", activity: "Progress", steps_completed: 1, steps_total: 2 }),
        "hello",
      ),
    ).toBe('Task echo of job "hello": Progress (50 %)');
    expect(
      taskUpdateMessage(
        task({ status: "completed", previous_status: "active", activity: "Completed" }),
        "hello",
      ),
    ).toBe('Task render-1-10 of job "hello" changed status active ➜ completed: Completed');
  });

  test("worker: exact status-change wording, removal, else nothing", () => {
    expect(workerUpdateMessage(worker({ previous_status: "awake" }))).toBe(
      "Worker node-7 changed status awake ➜ asleep",
    );
    expect(workerUpdateMessage(worker({ deleted_at: T }))).toBe("Worker node-7 was removed from the system");
    expect(workerUpdateMessage(worker({ status_change: { status: "offline", is_lazy: true } }))).toBeNull();
  });
});

describe("notification history", () => {
  test("keeps the newest entries up to the cap and shows the latest", () => {
    const n = createNotifications(() => new Date(T));
    for (let i = 1; i <= NOTIFICATION_HISTORY_MAX + 5; i++) n.add(`message ${i}`);
    const history = n.history.get();
    expect(history).toHaveLength(NOTIFICATION_HISTORY_MAX);
    expect(history[0]?.message).toBe("message 6");
    expect(history.at(-1)!.message).toBe(`message ${NOTIFICATION_HISTORY_MAX + 5}`);
    expect(n.latest.get()?.message).toBe(`message ${NOTIFICATION_HISTORY_MAX + 5}`);
  });
});
