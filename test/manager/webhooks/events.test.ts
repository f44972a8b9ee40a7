// Which broker events become webhook events, and the keys that make a re-sent event queue nothing new.
import { expect, test } from "bun:test";
import { createEventBroker, type PublishedEvent } from "../../../src/manager/events/broker";
import { farmStatus, jobDeleted, jobUpdate, workerUpdate } from "../../../src/manager/events/payloads";
import { createOccurrenceMapper } from "../../../src/manager/webhooks/events";
import { createTestFarm } from "../../support/builders";

/** The events as forwarders get them. */
function published(
  ...events: Parameters<ReturnType<typeof createEventBroker>["publish"]>[0][]
): PublishedEvent[] {
  const broker = createEventBroker();
  const seen: PublishedEvent[] = [];
  broker.listen((e) => seen.push(e));
  for (const e of events) broker.publish(e);
  return seen;
}

test("job status changes to completed, failed and paused are events; re-sends and deletions are not", () => {
  const farm = createTestFarm();
  const done = farm.addJob({ status: "completed" });
  const map = createOccurrenceMapper();
  const [first, again, noChange, deleted, paused] = published(
    jobUpdate(done, { previousStatus: "active" }),
    jobUpdate(done, { previousStatus: "active" }),
    jobUpdate(done),
    jobDeleted(done),
    jobUpdate(farm.addJob({ status: "paused" }), { previousStatus: "pause-requested" }),
  ).map(map);
  expect(first).toMatchObject({ event: "job.completed", job: { id: done.uuid, previous_status: "active" } });
  expect(again?.dedupeKey).toBe(first!.dedupeKey);
  expect(noChange).toBeNull();
  expect(deleted).toBeNull();
  expect(paused?.event).toBe("job.paused");
});

test("workers going into error or offline are events", () => {
  const farm = createTestFarm();
  const map = createOccurrenceMapper();
  const events = published(
    workerUpdate(farm.addWorker({ name: "w1", status: "error" }), { previousStatus: "awake" }),
    workerUpdate(farm.addWorker({ name: "w2", status: "offline" }), { previousStatus: "asleep" }),
    workerUpdate(farm.addWorker({ name: "w3", status: "awake" }), { previousStatus: "starting" }),
  ).map(map);
  expect(events.map((e) => e?.event ?? null)).toEqual(["worker.error", "worker.offline", null]);
  expect(events[0]?.worker).toMatchObject({ name: "w1", status: "error", previous_status: "awake" });
});

test("farm idle only right after the farm was busy, not at start-up", () => {
  const map = createOccurrenceMapper();
  const events = published(
    farmStatus("idle"),
    farmStatus("active"),
    farmStatus("idle"),
    farmStatus("waiting"),
    farmStatus("asleep"),
    farmStatus("idle"),
  ).map(map);
  expect(events.map((e) => e?.event ?? null)).toEqual([null, null, "farm.idle", null, null, null]);
});
