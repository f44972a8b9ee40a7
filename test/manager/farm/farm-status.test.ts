import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { workers } from "../../../src/manager/db/schema";
import { workerUpdate } from "../../../src/manager/events/payloads";
import {
  computeFarmStatus,
  FARM_STATUS_FIRST_POLL_DELAY_MS,
  FARM_STATUS_FORCED_POLL_DELAY_MS,
  FARM_STATUS_POLL_INTERVAL_MS,
  type FarmStatus,
} from "../../../src/manager/farm/farm-status";
import { createHarness } from "./harness";

describe("computeFarmStatus", () => {
  const cases: [string, Record<string, number>, Record<string, number>, FarmStatus][] = [
    ["no workers at all", {}, { active: 3 }, "inoperative"],
    ["only offline and error workers", { offline: 2, error: 1 }, { active: 1 }, "inoperative"],
    ["zero counts do not make a worker operative", { awake: 0, offline: 1 }, {}, "inoperative"],
    ["active job and an awake worker", { awake: 1, offline: 4 }, { active: 1 }, "active"],
    ["active job, workers asleep", { asleep: 2 }, { active: 1 }, "waiting"],
    ["queued job and an awake worker", { awake: 1 }, { queued: 1 }, "waiting"],
    ["queued job, only a starting worker", { starting: 1 }, { queued: 2 }, "waiting"],
    ["no work, all operative workers asleep", { asleep: 3, offline: 1 }, { completed: 5 }, "asleep"],
    ["no work, one awake among sleepers", { asleep: 3, awake: 1 }, {}, "idle"],
    ["no work, a freshly registered worker", { "": 1 }, {}, "idle"],
    [
      "paused and failed jobs are no work",
      { awake: 2 },
      { paused: 1, failed: 1, "cancel-requested": 1 },
      "idle",
    ],
    ["a worker in testing or restart is operative", { testing: 1, restart: 1 }, {}, "idle"],
  ];
  for (const [name, w, j, want] of cases) {
    test(name, () => expect(computeFarmStatus(w, j)).toBe(want));
  }
});

describe("createFarmStatus", () => {
  const statusEvents = (h: ReturnType<typeof createHarness>) =>
    h.events.filter((e) => e.topic === "/status").map((e) => (e.payload as { status: string }).status);

  test("reports starting until the first poll, one second after start", () => {
    const h = createHarness();
    h.farmStatus.start();
    expect(h.farmStatus.current()).toBe("starting");
    h.clock.advance(FARM_STATUS_FIRST_POLL_DELAY_MS - 1);
    expect(h.farmStatus.current()).toBe("starting");
    h.clock.advance(1);
    expect(h.farmStatus.current()).toBe("inoperative");
    expect(statusEvents(h)).toEqual(["inoperative"]);
    h.farmStatus.stop();
  });

  test("publishes /status only when the report changes", async () => {
    const h = createHarness();
    h.farmStatus.start();
    h.clock.advance(FARM_STATUS_FIRST_POLL_DELAY_MS);
    h.clock.advance(3 * FARM_STATUS_POLL_INTERVAL_MS);
    expect(statusEvents(h)).toEqual(["inoperative"]);

    await h.signedOn("w1");
    h.clock.advance(FARM_STATUS_POLL_INTERVAL_MS);
    expect(h.farmStatus.current()).toBe("idle");
    h.clock.advance(FARM_STATUS_POLL_INTERVAL_MS);
    expect(statusEvents(h)).toEqual(["inoperative", "idle"]);
    h.farmStatus.stop();
  });

  test("worker status changes force a prompt poll", async () => {
    const h = createHarness();
    h.farmStatus.start();
    h.clock.advance(FARM_STATUS_FIRST_POLL_DELAY_MS);
    const w = await h.signedOn("w1");
    h.addJob({ status: "active" });
    await h.reportState(w, "awake");
    await h.reportState(w, "asleep");
    await h.reportState(w, "awake");
    // No poll yet: the forced poll is pending, not run inside the publishing call.
    expect(h.farmStatus.current()).toBe("inoperative");
    h.clock.advance(FARM_STATUS_FORCED_POLL_DELAY_MS);
    expect(h.farmStatus.current()).toBe("active");
    expect(statusEvents(h)).toEqual(["inoperative", "active"]);
    h.farmStatus.stop();
  });

  test("an update without a status change does not force a poll", () => {
    const h = createHarness();
    h.farmStatus.start();
    h.clock.advance(FARM_STATUS_FIRST_POLL_DELAY_MS);
    const row = h.addWorker({ name: "direct", status: "awake" });
    h.broker.publish(workerUpdate(row, { previousStatus: "awake" }));
    h.broker.publish(workerUpdate(row));
    h.clock.advance(FARM_STATUS_FORCED_POLL_DELAY_MS);
    expect(h.farmStatus.current()).toBe("inoperative");
    h.db.orm.update(workers).set({ status: "asleep" }).where(eq(workers.id, row.id)).run();
    h.broker.publish(workerUpdate({ ...row, status: "asleep" }, { previousStatus: "awake" }));
    h.clock.advance(FARM_STATUS_FORCED_POLL_DELAY_MS);
    expect(h.farmStatus.current()).toBe("asleep");
    h.farmStatus.stop();
  });

  test("a database error keeps the last report and the loop goes on", async () => {
    const h = createHarness();
    h.farmStatus.start();
    await h.signedOn("w1");
    h.clock.advance(FARM_STATUS_FIRST_POLL_DELAY_MS);
    expect(h.farmStatus.current()).toBe("idle");
    h.sqlite.exec("ALTER TABLE jobs RENAME TO jobs_away");
    h.clock.advance(FARM_STATUS_POLL_INTERVAL_MS);
    expect(h.farmStatus.current()).toBe("idle");
    expect(h.logs.join("\n")).toContain("no such table: jobs");
    h.sqlite.exec("ALTER TABLE jobs_away RENAME TO jobs");
    h.addJob({ status: "queued" });
    h.clock.advance(FARM_STATUS_POLL_INTERVAL_MS);
    expect(h.farmStatus.current()).toBe("waiting");
    h.farmStatus.stop();
  });

  test("GET /api/v3/status answers the last report", async () => {
    const h = createHarness();
    expect(await (await h.request("GET", "/api/v3/status")).json()).toEqual({ status: "starting" });
    h.farmStatus.start();
    h.clock.advance(FARM_STATUS_FIRST_POLL_DELAY_MS);
    const res = await h.request("GET", "/api/v3/status");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "inoperative" });
    h.farmStatus.stop();
  });
});
