import { afterEach, expect, test } from "bun:test";
import { enableGroupCommit, inTransaction } from "../../../src/manager/db/transaction";
import { markSeen, SEEN_WRITE_INTERVAL_MS } from "../../../src/manager/farm/seen";
import { createHarness } from "./harness";

let h: ReturnType<typeof createHarness>;
afterEach(() => h.close());

async function registered() {
  h = createHarness();
  const { uuid } = await h.register();
  return h.worker(uuid)!;
}

test("writes last-seen and updated-at, and updates the snapshot it was given", async () => {
  const worker = await registered();
  h.clock.advance(60_000);
  markSeen(h.db, worker, h.clock.now());
  expect(worker.lastSeenAt).toEqual(h.clock.now());
  expect(h.worker(worker.uuid)).toMatchObject({ lastSeenAt: h.clock.now(), updatedAt: h.clock.now() });
});

test("skips the write within the interval, and writes again after it or when the clock went back", async () => {
  const worker = await registered();
  const first = h.clock.now();
  markSeen(h.db, worker, first);
  h.clock.advance(SEEN_WRITE_INTERVAL_MS - 1);
  markSeen(h.db, worker, h.clock.now());
  expect(h.worker(worker.uuid)!.lastSeenAt).toEqual(first);

  h.clock.advance(1);
  markSeen(h.db, worker, h.clock.now());
  expect(h.worker(worker.uuid)!.lastSeenAt).toEqual(h.clock.now());

  const earlier = new Date(first.getTime() - 5_000);
  markSeen(h.db, worker, earlier);
  expect(h.worker(worker.uuid)!.lastSeenAt).toEqual(earlier);
});

test("inside a change, the write is part of that change", async () => {
  const worker = await registered();
  markSeen(h.db, worker, h.clock.now());
  const before = h.worker(worker.uuid)!.lastSeenAt;
  h.clock.advance(60_000);

  expect(() =>
    inTransaction(h.db, (tx) => {
      markSeen(tx, { ...worker }, h.clock.now());
      throw new Error("the caller's change failed");
    }),
  ).toThrow("the caller's change failed");
  expect(h.worker(worker.uuid)!.lastSeenAt).toEqual(before);

  inTransaction(h.db, (tx) => markSeen(tx, worker, h.clock.now()));
  expect(h.worker(worker.uuid)!.lastSeenAt).toEqual(h.clock.now());
});

test("on its own, the write joins the shared commit of the event-loop turn", async () => {
  const worker = await registered();
  enableGroupCommit(h.db, () => {});
  h.clock.advance(60_000);
  markSeen(h.db, worker, h.clock.now());
  expect(h.sqlite.inTransaction).toBe(true);
  await new Promise((resolve) => setImmediate(resolve));
  expect(h.sqlite.inTransaction).toBe(false);
  expect(h.worker(worker.uuid)!.lastSeenAt).toEqual(h.clock.now());
});
