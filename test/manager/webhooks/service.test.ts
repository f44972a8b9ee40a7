// The webhook service on a real database file, a real broker and a real local HTTP receiver; the
// retry timing runs on a fake clock, so "down for a minute" is the real back-off, not a sleep.
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { jobUpdate, farmStatus } from "../../../src/manager/events/payloads";
import {
  WEBHOOK_MAX_FINISHED_PER_HOOK,
  WEBHOOK_MAX_PENDING_PER_HOOK,
  WEBHOOK_TIMING,
  createWebhookService,
  type WebhookHook,
} from "../../../src/manager/webhooks/service";
import type { LogLevel } from "../../../src/shared/log";
import { createTestFarm, type TestFarm } from "../../support/builders";
import { FakeClock } from "../../support/fake-clock";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";
import { signatureValid, startReceiver, type Receiver } from "./receiver";

const newDir = tempDirs("tablao-webhooks");
const SECRET = "hook-secret";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function hook(receiver: Receiver, extra: Partial<WebhookHook> = {}): WebhookHook {
  return {
    name: "ops",
    url: receiver.url,
    events: ["job.completed", "job.failed"],
    format: "json",
    secret: SECRET,
    enabled: true,
    ...extra,
  };
}

function setUp(hooks: WebhookHook[], opts: { path?: string; clock?: FakeClock } = {}) {
  const farm: TestFarm = createTestFarm({
    path: opts.path ?? join(newDir(), "db.sqlite"),
    clock: opts.clock,
  });
  const logged: { level: LogLevel; msg: string }[] = [];
  const service = createWebhookService({
    db: farm.db,
    broker: farm.broker,
    clock: farm.clock,
    hooks: () => hooks,
    managerName: () => "Test farm",
    log: (level, msg) => logged.push({ level, msg }),
  });
  service.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service.stop();
    farm.close();
  };
  cleanups.push(stop);
  return { farm, service, logged, stop };
}

/** Publishes the job's move to `status` as the state machine does. */
function finish(farm: TestFarm, status: "completed" | "failed", name: string, activity = "") {
  const job = farm.addJob({ name, status, activity });
  farm.broker.publish(jobUpdate(job, { previousStatus: "active" }));
  return job;
}

test("a completed and a failed job each deliver one signed delivery, even when the event is sent again", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  const { farm } = setUp([hook(receiver)]);

  const done = finish(farm, "completed", "shot-010");
  farm.broker.publish(jobUpdate(done, { previousStatus: "active" })); // the same change, re-sent
  const failed = finish(farm, "failed", "shot-020", "Task render-1 failed: Blender crashed");
  await waitFor("two deliveries", () => receiver.received.length >= 2);
  // Deliveries of one hook go out in order, so a duplicate of the first would have come before.
  expect(receiver.received.map((r) => [r.json.event, (r.json.job as { id: string }).id])).toEqual([
    ["job.completed", done.uuid],
    ["job.failed", failed.uuid],
  ]);
  for (const r of receiver.received) expect(signatureValid(r, SECRET)).toBe(true);
  expect(signatureValid(receiver.received[0]!, "wrong secret")).toBe(false);
  expect(receiver.received[1]!.json).toMatchObject({
    manager: "Test farm",
    text: 'Job "shot-020" failed: Task render-1 failed: Blender crashed',
    job: {
      name: "shot-020",
      status: "failed",
      previous_status: "active",
      activity: "Task render-1 failed: Blender crashed",
    },
  });
  expect(receiver.received[0]!.headers).toMatchObject({
    "x-tablao-event": "job.completed",
    "x-tablao-delivery": receiver.received[0]!.json.id,
    "x-tablao-timestamp": String(Math.floor(farm.clock.now().getTime() / 1000)),
  });
});

test("events no hook subscribes to, and status events without a change, queue nothing", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  const { farm, service } = setUp([hook(receiver, { events: ["job.failed"] })]);
  const job = farm.addJob({ status: "completed" });
  farm.broker.publish(jobUpdate(job, { previousStatus: "active" })); // not subscribed
  farm.broker.publish(jobUpdate(farm.addJob({ status: "failed" }))); // no previous status: a re-send
  farm.broker.publish(farmStatus("idle"));
  await Promise.resolve();
  expect(service.deliveries({ limit: 10 })).toEqual([]);
});

test("with the receiver down for a minute, deliveries are retried with back-off and arrive once, in order", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  await receiver.down();
  const { farm, service } = setUp([hook(receiver)]);
  const attemptsOf = () => service.deliveries({ limit: 10 }).map((d) => d.attempts);

  const first = finish(farm, "completed", "a");
  const second = finish(farm, "failed", "b");
  await waitFor("the first failed attempt", () => attemptsOf().includes(1));
  // Only the oldest delivery of a hook is tried while the receiver is away.
  expect(attemptsOf()).toEqual([0, 1]);
  const oldest = service.deliveries({ limit: 10, hookName: "ops" }).at(-1);
  expect(oldest?.last_error).not.toBe("");

  // A minute of retries: 5 s, then 10 s, 20 s, 40 s after each failure.
  let elapsedMs = 0;
  for (let attempt = 2; elapsedMs + WEBHOOK_TIMING.firstRetryMs * 2 ** (attempt - 2) <= 60_000; attempt++) {
    const waitMs = WEBHOOK_TIMING.firstRetryMs * 2 ** (attempt - 2);
    farm.clock.advance(waitMs - 1);
    expect(attemptsOf()).toEqual([0, attempt - 1]); // not before its time
    farm.clock.advance(1 + WEBHOOK_TIMING.pollIntervalMs);
    elapsedMs += waitMs + WEBHOOK_TIMING.pollIntervalMs;
    await waitFor(`attempt ${attempt}`, () => attemptsOf()[1] === attempt);
  }
  expect(receiver.received).toEqual([]);

  receiver.up();
  farm.clock.advance(WEBHOOK_TIMING.maxRetryDelayMs);
  await waitFor("both deliveries", () =>
    service.deliveries({ limit: 10 }).every((d) => d.status === "delivered"),
  );
  expect(receiver.received.map((r) => (r.json.job as { id: string }).id)).toEqual([first.uuid, second.uuid]);
});

test("pending deliveries survive a restart on the same database", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  await receiver.down();
  const path = join(newDir(), "db.sqlite");
  const clock = new FakeClock();
  const before = setUp([hook(receiver)], { path, clock });
  const job = finish(before.farm, "completed", "overnight");
  await waitFor("a failed attempt", () => before.service.deliveries({ limit: 1 })[0]?.attempts === 1);
  await before.stop();

  receiver.up();
  clock.advance(WEBHOOK_TIMING.firstRetryMs);
  const after = setUp([hook(receiver)], { path, clock });
  await waitFor(
    "the delivery after the restart",
    () => after.service.deliveries({ limit: 1 })[0]?.status === "delivered",
  );
  expect(receiver.received.length).toBe(1);
  expect((receiver.received[0]!.json.job as { id: string }).id).toBe(job.uuid);
  expect(after.service.deliveries({ limit: 10 }).map((d) => [d.status, d.attempts])).toEqual([
    ["delivered", 2],
  ]);
});

test("a refusal (4xx) is not retried; a server error (5xx) is", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  const { farm, service } = setUp([hook(receiver)]);
  receiver.answerWith(410);
  finish(farm, "completed", "gone");
  await waitFor("the refusal", () => service.deliveries({ limit: 1 })[0]?.status === "failed");
  expect(service.deliveries({ limit: 1 })[0]).toMatchObject({
    attempts: 1,
    response_status: 410,
    last_error: "HTTP 410 Gone",
  });

  receiver.answerWith(503);
  finish(farm, "completed", "busy");
  const busy = () => service.deliveries({ limit: 1 }).find((d) => d.text === 'Job "busy" completed');
  await waitFor("the failed attempt", () => busy()?.attempts === 1);
  expect(busy()).toMatchObject({ status: "pending", response_status: 503 });
  receiver.answerWith(200);
  farm.clock.advance(WEBHOOK_TIMING.firstRetryMs + WEBHOOK_TIMING.pollIntervalMs);
  await waitFor("the retry", () => busy()?.status === "delivered");
});

test("publishing 10,000 events while the receiver hangs returns before the receiver answers; the queue stays bounded", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  receiver.hold();
  const { farm, service, logged } = setUp([hook(receiver)]);
  finish(farm, "completed", "first");
  await waitFor("the first request to hang", () => receiver.received.length === 1);

  const job = farm.addJob({ status: "completed" });
  for (let i = 0; i < 10_000; i++) {
    farm.broker.publish(
      jobUpdate({ ...job, updatedAt: new Date(job.updatedAt.getTime() + i) }, { previousStatus: "active" }),
    );
  }
  // The loop is done and the receiver has still not answered the first delivery.
  expect(receiver.received.length).toBe(1);
  await waitFor("the events to be queued", () => logged.some((l) => l.msg.includes("dropped")));
  const pending = service.deliveries({ limit: 20_000 }).filter((d) => d.status === "pending");
  expect(pending.length).toBeLessThanOrEqual(WEBHOOK_MAX_PENDING_PER_HOOK);
  receiver.release();
  await waitFor("the next delivery after the release", () => receiver.received.length >= 2);
});

test("a hook keeps its newest finished deliveries only: older ones are deleted as events are queued", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  receiver.hold();
  const { farm, service, logged } = setUp([hook(receiver)]);
  const job = farm.addJob({ status: "completed" });
  const drops = () => logged.filter((l) => l.msg.includes("dropped")).length;
  const pending = () => service.deliveries({ limit: 10_000 }).filter((d) => d.status === "pending").length;
  // Three batches of distinct events, each queued before the next: the second and the third
  // each push the pending limit's worth of the oldest out as dropped (finished), twice the
  // number of finished deliveries a hook keeps.
  for (let batch = 0; batch < 3; batch++) {
    for (let i = 0; i < WEBHOOK_MAX_PENDING_PER_HOOK; i++) {
      const at = new Date(job.updatedAt.getTime() + batch * WEBHOOK_MAX_PENDING_PER_HOOK + i);
      farm.broker.publish(jobUpdate({ ...job, updatedAt: at }, { previousStatus: "active" }));
    }
    await waitFor(`batch ${batch + 1} to be queued`, () =>
      batch === 0 ? pending() >= WEBHOOK_MAX_PENDING_PER_HOOK - 1 : drops() >= batch,
    );
  }
  const all = service.deliveries({ limit: 10_000 });
  expect(all.filter((d) => d.status !== "pending").length).toBeLessThanOrEqual(WEBHOOK_MAX_FINISHED_PER_HOOK);
  expect(all.filter((d) => d.status === "pending").length).toBeLessThanOrEqual(WEBHOOK_MAX_PENDING_PER_HOOK);
  receiver.release();
});

test("a send test delivers at once and is logged; deliveries of removed hooks are given up", async () => {
  const receiver = startReceiver();
  cleanups.push(() => receiver.stop());
  let hooks = [hook(receiver, { format: "slack" })];
  const farm = createTestFarm({ path: join(newDir(), "db.sqlite") });
  const service = createWebhookService({
    db: farm.db,
    broker: farm.broker,
    clock: farm.clock,
    hooks: () => hooks,
    managerName: () => "Test farm",
    log: () => {},
  });
  service.start();
  cleanups.push(async () => {
    await service.stop();
    farm.close();
  });

  const result = await service.sendTest("ops");
  expect(result).toMatchObject({
    hook: "ops",
    event: "test",
    status: "delivered",
    attempts: 1,
    response_status: 204,
  });
  expect(receiver.received[0]!.json).toEqual({ text: '[Test farm] Test notification for webhook "ops"' });
  expect(signatureValid(receiver.received[0]!, SECRET)).toBe(true);
  expect(await service.sendTest("nobody")).toBeNull();

  await receiver.down();
  finish(farm, "completed", "orphan");
  await waitFor("a failed attempt", () => service.deliveries({ limit: 1 })[0]?.attempts === 1);
  hooks = [];
  service.settingsChanged();
  expect(service.deliveries({ limit: 1 })[0]).toMatchObject({
    status: "failed",
    last_error: "the hook was removed from the configuration",
  });
});
