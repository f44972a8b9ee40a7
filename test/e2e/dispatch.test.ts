// End to end: Tablao's worker as a real process, idle against a Manager, learns of new work at
// once by long-polling scheduleTask; against a Manager without the extension it polls as
// Flamenco's worker does. The worker runs at Flamenco's real timing here (time scale 1) where the
// point is that it does not wait its 20 s no-task interval.
import { afterAll, afterEach, expect, test } from "bun:test";
import type { PublishedEvent } from "../../src/manager/events/broker";
import { startFaultProxy, type FaultProxy } from "../worker/fault-proxy";
import { startTestManager, type TestManager } from "../support/manager";
import { killChildren, managerApi, startWorker } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

afterAll(killChildren);
const tempDir = tempDirs("tablao-dispatch");

/** Worker start-up (Bun, probes, registration) plus its first fetch wait of 3 s. */
const WORKER_IDLE_DEADLINE_MS = 20_000;
/** Far below the 20 s a polling worker waits after "no task". */
const PICKUP_DEADLINE_MS = 2_000;

let m: TestManager | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await proxy?.stop();
  proxy = null;
  m?.manager.announceShutdown();
  await m?.destroy();
  m = null;
});

async function submitJob(url: string): Promise<string> {
  const job = (await managerApi(url).post("/api/v3/jobs", {
    name: "dispatch",
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message: "now", sleep_duration_seconds: 0, sleep_repeats: 1 },
  })) as { id: string };
  return job.id;
}

const jobStatus = async (url: string, id: string) =>
  ((await managerApi(url).get(`/api/v3/jobs/${id}`)) as { status: string }).status;

test("an idle worker starts a task submitted while it waits within moments, not its poll interval", async () => {
  m = await startTestManager();
  const manager = m;
  const firstActive = Promise.withResolvers<number>();
  manager.manager.broker.listen((e: PublishedEvent) => {
    if (e.event === "/task" && e.payload.status === "active") firstActive.resolve(performance.now());
  });
  startWorker(manager.url, { name: "eager", home: tempDir(), env: { TABLAO_WORKER_TIME_SCALE: "1" } });
  await waitFor(
    "the worker to wait for work",
    () => manager.manager.services.longPoll.waiting() === 1,
    WORKER_IDLE_DEADLINE_MS,
  );

  const submitted = performance.now();
  const jobId = await submitJob(manager.url);
  const activeAt = await Promise.race([firstActive.promise, Bun.sleep(PICKUP_DEADLINE_MS).then(() => null)]);
  expect(activeAt).not.toBeNull();
  expect(activeAt! - submitted).toBeLessThan(PICKUP_DEADLINE_MS);
  // Its second task follows the first without Flamenco's pause after a task.
  await waitFor(
    "the job to complete",
    async () => (await jobStatus(manager.url, jobId)) === "completed",
    5_000,
  );
});

test("against a Manager that ignores `wait` the worker polls at its no-task interval, and still works", async () => {
  m = await startTestManager();
  const manager = m;
  proxy = startFaultProxy(manager.url);
  const polls: number[] = [];
  // What a Manager without the extension answers when it has no task: 204 at once, no header.
  proxy.fail((method, path) => {
    if (method !== "POST" || path !== "/api/v3/worker/task") return null;
    polls.push(performance.now());
    return new Response(null, { status: 204 });
  });
  // Time scale 0.1: the no-task interval is 2 s (± 10 %).
  startWorker(proxy.url, { name: "old-school", home: tempDir() });
  await waitFor("three polls", () => polls.length >= 3, WORKER_IDLE_DEADLINE_MS);
  for (let i = 1; i < polls.length; i++) expect(polls[i]! - polls[i - 1]!).toBeGreaterThan(1_500);

  proxy.fail(null);
  const jobId = await submitJob(manager.url);
  await waitFor(
    "the job to complete",
    async () => (await jobStatus(manager.url, jobId)) === "completed",
    10_000,
  );
});
