import { describe, expect, test } from "bun:test";
import {
  applyJobUpdate,
  applyTagUpdate,
  applyTaskUpdate,
  applyWorkerUpdate,
  jobRow,
  mergeSnapshot,
  withKnownActivity,
  type JobRow,
} from "../../src/web/records";
import type { JobUpdate, TaskSummary } from "../../src/web/types";

const ID = "b6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d";
const row = (updated: string, status: JobRow["status"] = "queued"): JobRow => ({
  id: ID,
  name: "shot",
  status,
  type: "echo-sleep-test",
  priority: 50,
  steps_completed: 0,
  steps_total: 3,
  updated,
});
const update = (over: Partial<JobUpdate>): JobUpdate => ({
  ...row("2026-01-01T10:00:01Z"),
  refresh_tasks: false,
  ...over,
});

describe("job list", () => {
  test("an event adds a new job and replaces older state", () => {
    const added = applyJobUpdate(new Map(), update({ status: "active" }));
    expect(added.get(ID)?.status).toBe("active");
    const older = applyJobUpdate(added, update({ status: "queued", updated: "2026-01-01T10:00:00Z" }));
    expect(older.get(ID)?.status).toBe("active");
  });

  test("a deletion event removes the job", () => {
    const jobs = new Map([[ID, row("2026-01-01T10:00:00Z")]]);
    expect(applyJobUpdate(jobs, update({ was_deleted: true })).has(ID)).toBe(false);
  });

  test("a snapshot does not undo newer events nor resurrect deleted jobs", () => {
    const current = new Map([[ID, row("2026-01-01T10:00:05Z", "active")]]);
    expect(mergeSnapshot(current, [row("2026-01-01T10:00:00Z", "queued")], new Set()).get(ID)?.status).toBe(
      "active",
    );
    expect(
      mergeSnapshot(current, [row("2026-01-01T10:00:09Z", "completed")], new Set()).get(ID)?.status,
    ).toBe("completed");
    expect(mergeSnapshot(current, [row("2026-01-01T10:00:09Z")], new Set([ID])).size).toBe(0);
    // Jobs missing from the snapshot are gone.
    expect(mergeSnapshot(current, [], new Set()).size).toBe(0);
  });

  test("jobRow keeps only what the table shows", () => {
    expect(Object.keys(jobRow(update({}))).sort()).toEqual(
      [
        "delete_requested_at",
        "id",
        "name",
        "priority",
        "status",
        "steps_completed",
        "steps_total",
        "type",
        "updated",
      ].sort(),
    );
  });
});

describe("workers and tags", () => {
  const W = "d6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d";
  const base = { id: W, name: "node-7", status: "awake" as const, version: "3.9", can_restart: true };

  test("partial worker events keep the last-seen time; status requests come and go", () => {
    let workers = applyWorkerUpdate(new Map(), {
      ...base,
      updated: "2026-01-01T10:00:00Z",
      last_seen: "2026-01-01T09:59:00Z",
      status_change: { status: "asleep", is_lazy: false },
    });
    workers = applyWorkerUpdate(workers, {
      ...base,
      status: "asleep",
      previous_status: "awake",
      updated: "2026-01-01T10:00:01Z",
    });
    expect(workers.get(W)).toMatchObject({ status: "asleep", last_seen: "2026-01-01T09:59:00Z" });
    expect(workers.get(W)?.status_change).toBeUndefined();
    expect(
      applyWorkerUpdate(workers, {
        ...base,
        updated: "2026-01-01T10:00:02Z",
        deleted_at: "2026-01-01T10:00:02Z",
      }).size,
    ).toBe(0);
  });

  test("tag events create, rename in place and delete", () => {
    const a = { id: "a6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d", name: "gpu", description: "" };
    const b = { id: "e6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d", name: "cpu", description: "" };
    let tags = applyTagUpdate(applyTagUpdate([], { tag: a }), { tag: b });
    tags = applyTagUpdate(tags, { tag: { ...a, name: "gpu-fast" } });
    expect(tags.map((t) => t.name)).toEqual(["gpu-fast", "cpu"]);
    expect(
      applyTagUpdate(tags, { tag: { id: a.id, name: "" }, was_deleted: true }).map((t) => t.name),
    ).toEqual(["cpu"]);
  });
});

describe("task events", () => {
  const T = "c6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d";
  const summary: TaskSummary = {
    id: T,
    name: "echo",
    status: "queued",
    index_in_job: 1,
    priority: 50,
    task_type: "misc",
    updated: "2026-01-01T10:00:00Z",
    steps_completed: 0,
    steps_total: 1,
    worker: { id: "", name: "", address: "" },
  };

  test("merge status, activity and worker into the summary", () => {
    const next = applyTaskUpdate(new Map([[T, summary]]), {
      id: T,
      job_id: ID,
      name: "echo",
      updated: "2026-01-01T10:00:01Z",
      status: "active",
      previous_status: "queued",
      activity: "Echoing hi",
      steps_completed: 0,
      steps_total: 1,
      worker: { name: "node-7", uuid: "d6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d" },
    });
    expect(next.get(T)).toMatchObject({
      status: "active",
      activity: "Echoing hi",
      index_in_job: 1,
      worker: { id: "d6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d", name: "node-7" },
    });
  });
});

describe("task snapshots", () => {
  const T = "c6f1f9d2-3c57-4c8e-9d7a-0e1f2a3b4c5d";
  const fetched: TaskSummary = {
    id: T,
    name: "echo",
    status: "completed",
    index_in_job: 1,
    priority: 50,
    task_type: "misc",
    updated: "2026-01-01T10:00:01Z",
    steps_completed: 1,
    steps_total: 1,
  };

  test("an activity seen in events survives a refetch only while the task is unchanged", () => {
    const known = { ...fetched, activity: "Echoed hi" };
    expect(withKnownActivity(fetched, known).activity).toBe("Echoed hi");
    expect(
      withKnownActivity({ ...fetched, updated: "2026-01-01T10:00:02Z" }, known).activity,
    ).toBeUndefined();
    expect(withKnownActivity({ ...fetched, activity: "from the server" }, known).activity).toBe(
      "from the server",
    );
  });
});
