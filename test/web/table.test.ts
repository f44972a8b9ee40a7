// The dashboard table's pure parts: sorting, selection ranges and pruning, bulk runs and their
// failure report, and which jobs "select preceding jobs" takes.
import { describe, expect, test } from "bun:test";
import { precedingJobs } from "../../src/web/jobs/JobsTable";
import type { JobRow } from "../../src/web/records";
import { bulkFailureMessage, runBulk } from "../../src/web/ui/table/bulk";
import { keptShown, rangeToggled, toggled } from "../../src/web/ui/table/selection";
import { ariaSort, nextSort, sortRows, timeKey } from "../../src/web/ui/table/sorting";

describe("sorting", () => {
  test("a column's first click uses its own direction, the next flips it", () => {
    const byName = nextSort({ key: "updated", dir: "desc" }, "name", "asc");
    expect(byName).toEqual({ key: "name", dir: "asc" });
    expect(nextSort(byName, "name", "asc")).toEqual({ key: "name", dir: "desc" });
    expect(ariaSort(byName, "name")).toBe("ascending");
    expect(ariaSort(byName, "updated")).toBe("none");
  });

  test("names sort naturally and equal keys keep their given order", () => {
    const rows = [
      { id: "a", name: "shot-10" },
      { id: "b", name: "shot-2" },
      { id: "c", name: "Shot-2" },
    ];
    expect(sortRows(rows, (r) => r.name, "asc").map((r) => r.id)).toEqual(["b", "c", "a"]);
    expect(sortRows(rows, (r) => r.name, "desc").map((r) => r.id)).toEqual(["a", "b", "c"]);
  });

  test("numbers sort as numbers, missing times as the oldest", () => {
    expect(sortRows([10, 9, 100], (n) => n, "asc")).toEqual([9, 10, 100]);
    expect(timeKey(undefined)).toBe(0);
    expect(timeKey("not a time")).toBe(0);
    expect(timeKey("2026-01-01T00:00:01.000Z")).toBe(Date.parse("2026-01-01T00:00:01.000Z"));
  });
});

describe("selection", () => {
  const shown = ["a", "b", "c", "d", "e"];

  test("shift-click ticks from the anchor to the row, either way round", () => {
    expect([...rangeToggled(new Set(["a"]), shown, "b", "d", true)].sort()).toEqual(["a", "b", "c", "d"]);
    expect([...rangeToggled(new Set(), shown, "d", "b", true)].sort()).toEqual(["b", "c", "d"]);
    expect([...rangeToggled(new Set(shown), shown, "b", "d", false)].sort()).toEqual(["a", "e"]);
  });

  test("without a shown anchor a shift-click ticks only its row", () => {
    expect([...rangeToggled(new Set(), shown, undefined, "c", true)]).toEqual(["c"]);
    expect([...rangeToggled(new Set(), shown, "gone", "c", true)]).toEqual(["c"]);
    expect([...toggled(new Set(["c"]), "c", false)]).toEqual([]);
  });

  test("rows no longer shown leave the selection; an unchanged selection stays the same object", () => {
    const checked = new Set(["a", "c"]);
    expect(keptShown(checked, new Set(shown))).toBe(checked);
    expect([...keptShown(checked, new Set(["a", "b"]))]).toEqual(["a"]);
  });
});

describe("bulk actions", () => {
  test("every item is tried, no more than the limit at once, and failures are named", async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 10 }, (_, i) => i);
    const failures = await runBulk(
      items,
      (i) => `item-${i}`,
      async (i) => {
        running++;
        most = Math.max(most, running);
        await Promise.resolve();
        running--;
        if (i % 4 === 0) throw new Error("refused");
      },
      3,
    );
    expect(most).toBe(3);
    expect(failures.map((f) => f.name).sort()).toEqual(["item-0", "item-4", "item-8"]);
    expect(failures.every((f) => f.message === "refused")).toBe(true);
  });

  test("one message names the first failures and counts the rest", () => {
    const f = (name: string) => ({ name, message: "no such task" });
    expect(bulkFailureMessage("requeue", 40, "tasks", [])).toBeNull();
    expect(bulkFailureMessage("requeue", 40, "tasks", [f("a"), f("b"), f("c"), f("d"), f("e")])).toBe(
      "Could not requeue 5 of 40 tasks: a: no such task; b: no such task; c: no such task (and 2 more)",
    );
  });
});

describe("select preceding jobs", () => {
  const job = (id: string, updated: string): JobRow => ({
    id,
    name: id,
    status: "completed",
    type: "echo-sleep-test",
    priority: 50,
    steps_completed: 1,
    steps_total: 1,
    updated,
  });

  test("takes the focused job and every job updated at or before it", () => {
    const jobs = [
      job("new", "2026-01-01T00:00:03Z"),
      job("focused", "2026-01-01T00:00:02Z"),
      job("same-time", "2026-01-01T00:00:02Z"),
      job("old", "2026-01-01T00:00:01Z"),
    ];
    expect(precedingJobs(jobs, jobs[1]!).map((j) => j.id)).toEqual(["focused", "same-time", "old"]);
  });
});
