// Long-poll on scheduleTask (`wait`) against a real Manager over HTTP: held requests answer on the
// event that brings work or a status request, not at their bound; aborts, a second poll of the
// same worker and shutdown free them; the hold never lets the worker timeout fire. The cap on
// waiters is checked on the module itself with a small limit.
import { afterEach, expect, test } from "bun:test";
import { createLongPoll } from "../../../src/manager/scheduler/long-poll";
import { LONG_POLL_HEADER } from "../../../src/shared/long-poll";
import { createManagerClient, type ManagerApi, type WorkerCredentials } from "../../../src/worker/client";
import { registerOrSignOn } from "../../../src/worker/registration";
import { FakeClock } from "../../support/fake-clock";
import { startTestManager, type TestManager } from "../../support/manager";
import { managerApi } from "../../support/processes";
import { createFarm, type Farm } from "../../support/task-farm";
import { waitFor } from "../../support/wait";

/** Far longer than any deadline below: an answer before it came from an event, not the bound. */
const LONG_WAIT_S = 20;
const ANSWER_DEADLINE_MS = 3_000;

let m: TestManager | null = null;
let farm: Farm | null = null;
afterEach(async () => {
  await m?.destroy();
  m = null;
  farm?.close();
  farm = null;
});

const waiting = () => m!.manager.services.longPoll.waiting();

interface TestWorker {
  id: string;
  api: ManagerApi;
}

/** Registers and signs on as Tablao's worker does (its own code and client), then reports awake. */
async function worker(name: string): Promise<TestWorker> {
  let credentials: WorkerCredentials | null = null;
  const api = createManagerClient({ baseUrl: m!.url, credentials: () => credentials, timeoutMs: 60_000 });
  const status = await registerOrSignOn(
    {
      api,
      credentials: { get: () => credentials, set: (c) => void (credentials = c) },
      identity: { name, platform: "linux", taskTypes: ["misc"], softwareVersion: "test", canRestart: false },
      retryMinMs: 100,
      retryMaxMs: 100,
      log: () => {},
    },
    new AbortController().signal,
  );
  expect(status).toBe("awake");
  expect(
    (await api.POST("/api/v3/worker/state-changed", { body: { status: "awake" } })).response.status,
  ).toBe(204);
  return { id: credentials!.workerId, api };
}

/** scheduleTask with `wait`, through the worker's client. */
function longPoll(w: TestWorker, waitS = LONG_WAIT_S, signal?: AbortSignal) {
  return w.api.POST("/api/v3/worker/task", { params: { query: { wait: waitS } }, signal });
}

/** Resolves with the answer, or rejects when it takes longer than the deadline. */
function within<T>(promise: Promise<T>, ms = ANSWER_DEADLINE_MS): Promise<T> {
  return Promise.race([
    promise,
    Bun.sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms} ms`))),
  ]);
}

async function submitJob(url: string): Promise<string> {
  const job = (await managerApi(url).post("/api/v3/jobs", {
    name: "long-poll",
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message: "hi", sleep_duration_seconds: 0, sleep_repeats: 1 },
  })) as { id: string };
  return job.id;
}

test("a held poll gets the task of a job submitted while it waits", async () => {
  m = await startTestManager();
  const w = await worker("idle-one");
  const answer = longPoll(w);
  await waitFor("the poll to be held", () => waiting() === 1);

  const jobId = await submitJob(m.url);
  const { response, data } = await within(answer);
  expect(response.status).toBe(200);
  expect(data?.job).toBe(jobId);
  expect(waiting()).toBe(0);
});

test("a status change requested for a waiting worker is answered at once with 423", async () => {
  m = await startTestManager();
  const w = await worker("to-sleep");
  const answer = longPoll(w);
  await waitFor("the poll to be held", () => waiting() === 1);

  await managerApi(m.url).post(`/api/v3/worker-mgt/workers/${w.id}/setstatus`, {
    status: "asleep",
    is_lazy: true,
  });
  const { response, error } = await within(answer);
  expect(response.status).toBe(423);
  expect(error).toEqual({ status_requested: "asleep" });
});

test("a client that hangs up frees its waiter", async () => {
  m = await startTestManager();
  const w = await worker("impatient");
  const abort = new AbortController();
  const answer = longPoll(w, LONG_WAIT_S, abort.signal).catch((err: Error) => err);
  await waitFor("the poll to be held", () => waiting() === 1);

  abort.abort();
  expect(await answer).toBeInstanceOf(Error);
  await waitFor("the waiter to be freed", () => waiting() === 0, ANSWER_DEADLINE_MS);
});

test("a second poll of the same worker ends the first: one waiter per worker", async () => {
  m = await startTestManager();
  const w = await worker("twice");
  const first = longPoll(w);
  await waitFor("the first poll to be held", () => waiting() === 1);
  const second = longPoll(w);

  const { response: res } = await within(first);
  expect(res.status).toBe(204);
  expect(Number(res.headers.get(LONG_POLL_HEADER))).toBeGreaterThan(0);
  expect(waiting()).toBe(1);

  await submitJob(m.url);
  expect((await within(second)).response.status).toBe(200);
});

test("a poll without `wait` is answered at once, without the long-poll header", async () => {
  m = await startTestManager();
  const w = await worker("flamenco-style");
  const { response: res } = await within(w.api.POST("/api/v3/worker/task"));
  expect(res.status).toBe(204);
  expect(res.headers.get(LONG_POLL_HEADER)).toBeNull();
  expect(waiting()).toBe(0);
});

test("a `wait` that is not a number of seconds up to an hour is a 400 naming it", async () => {
  m = await startTestManager();
  const w = await worker("confused");
  for (const wait of ["-1", "soon", "3601"]) {
    const { response, error } = await w.api.POST("/api/v3/worker/task", {
      // Sent as given: the typed client would refuse these before they reach the Manager.
      querySerializer: () => `wait=${wait}`,
    });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ code: 400 });
    expect(error && "message" in error ? error.message : "").toContain("wait");
  }
  expect(waiting()).toBe(0);
});

test("shutdown answers every held poll with 503 at once", async () => {
  m = await startTestManager();
  const [a, b] = [await worker("a"), await worker("b")];
  const answers = [longPoll(a), longPoll(b)];
  await waitFor("both polls to be held", () => waiting() === 2);

  m.manager.announceShutdown();
  for (const { response } of await within(Promise.all(answers))) {
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("1");
  }
  expect(waiting()).toBe(0);
  expect((await within(longPoll(a))).response.status).toBe(503);
});

test("a long-polling worker is never timed out: the hold stays below half of worker_timeout", async () => {
  const clock = new FakeClock(Date.now());
  m = await startTestManager({ clock, config: { worker_timeout: "4s", task_timeout: "1m0s" } });
  const w = await worker("patient");

  // 40 s of fake time, polling again whenever an answer came, as Tablao's worker does. The timeout
  // checker runs from 20 s on, every 4 s; a hold of the asked 20 s would leave the worker unseen
  // for longer than 4 s.
  let answer = longPoll(w);
  for (let second = 0; second < 40; second++) {
    await waitFor("the poll to be held", () => waiting() === 1);
    clock.advance(1_000);
    const done = await Promise.race([answer, Bun.sleep(50).then(() => null)]);
    if (done) {
      expect(done.response.status).toBe(204);
      expect(done.response.headers.get(LONG_POLL_HEADER)).toBe("2000");
      answer = longPoll(w);
    }
  }
  m.manager.announceShutdown();
  expect((await within(answer)).response.status).toBe(503);
  const seen = (await managerApi(m.url).get(`/api/v3/worker-mgt/workers/${w.id}`)) as { status: string };
  expect(seen.status).toBe("awake");
});

test("beyond the cap of waiters a long-poll is answered at once, as a plain poll", async () => {
  farm = createFarm();
  const f = farm;
  const longPolls = createLongPoll({
    db: f.db,
    broker: f.broker,
    clock: f.clock,
    scheduler: f.scheduler,
    workerTimeoutMs: () => 60_000,
    maxWaiters: 1,
  });
  const [first, second] = [f.addWorker({ name: "first" }), f.addWorker({ name: "second" })];
  const held = longPolls.scheduleOrWait(first, 20_000, new AbortController().signal);
  await waitFor("the first to be held", () => longPolls.waiting() === 1);

  const answered = await within(longPolls.scheduleOrWait(second, 20_000, new AbortController().signal));
  expect(answered).toEqual({ kind: "scheduled", result: { kind: "none" }, grantedMs: 0 });
  expect(longPolls.waiting()).toBe(1);

  f.clock.advance(20_000);
  expect(await within(held)).toEqual({ kind: "scheduled", result: { kind: "none" }, grantedMs: 20_000 });
  longPolls.close();
});
