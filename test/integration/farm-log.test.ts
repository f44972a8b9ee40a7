// The Manager's log tells the farm's story at info level: a real Manager, a worker speaking the
// real protocol (the Bun worker's own client and registration code), and the log it writes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "../../src/shared/log";
import { FakeClock } from "../support/fake-clock";
import type { TestManager } from "../support/manager";
import { waitFor } from "../support/wait";
import {
  managerClient,
  startWorkerTestManager,
  submitCommands,
  takeTask,
  testWorker,
  type TestWorker,
} from "../worker/farm";

let m: TestManager;
const clock = new FakeClock(Date.now());
const lines: string[] = [];
/** Info lines only: the story must be readable without debug detail. */
const story = (needle: string) => lines.filter((l) => l.includes(" INFO  ") && l.includes(needle));

beforeAll(async () => {
  m = await startWorkerTestManager({
    clock,
    config: { worker_timeout: "3s", task_timeout: "1m0s" },
    logger: createLogger("info", (s) => void lines.push(s)),
  });
});
afterAll(() => m.destroy());

async function finish(worker: TestWorker, taskStatus: "completed" | "failed", activity: string) {
  const task = await takeTask(worker);
  const { response } = await worker.api.POST("/api/v3/worker/task/{task_id}", {
    params: { path: { task_id: task.uuid } },
    body: { taskStatus, activity },
  });
  expect(response.status).toBe(204);
}

test("workers signing on and off, jobs submitted, completed, failed and deleted, each one line", async () => {
  const worker = await testWorker(m.url, { name: "render-07" });
  expect(story(`worker "render-07" registered from 127.0.0.1 (linux, id ${worker.workerId()})`)).toHaveLength(
    1,
  );
  expect(
    story(`worker "render-07" (${worker.workerId()}) signed on for the first time from 127.0.0.1`),
  ).toHaveLength(1);

  const good = await submitCommands(m.url, [{ name: "echo", parameters: { message: "hi" } }]);
  expect(
    story(`job "worker test" (worker-test, 1 tasks, priority 50) submitted as ${good}, queued`),
  ).toHaveLength(1);
  await finish(worker, "completed", "Completed");
  expect(story(`job "worker test" (worker-test, ${good}) completed, 1 of 1 tasks completed`)).toHaveLength(1);

  const bad = await submitCommands(m.url, [{ name: "echo", parameters: { message: "hi" } }]);
  await finish(worker, "failed", "Failed: exit status 4");
  const failed = story(`job "worker test" (worker-test, ${bad}) failed, 0 of 1 tasks completed: `);
  expect(failed).toHaveLength(1);
  // The job's one reason, with the worker's own words.
  expect(failed[0]).toContain("last failed on render-07: Failed: exit status 4");

  const api = managerClient(m.url);
  await api.DELETE("/api/v3/jobs/{job_id}", { params: { path: { job_id: bad } } });
  // The deleter works in the background, on the (fake) clock.
  await waitFor("the deletion to be logged", () => {
    clock.advance(1_000);
    return story(`job "worker test" (worker-test, ${bad}) deleted`).length === 1;
  });

  await worker.api.POST("/api/v3/worker/sign-off");
  expect(story(`worker "render-07" (${worker.workerId()}) signed off (was awake)`)).toHaveLength(1);
});

test("a worker that goes silent is logged as timed out, with when it was last seen", async () => {
  const worker = await testWorker(m.url, { name: "silent-one" });
  await worker.api.POST("/api/v3/worker/state-changed", { body: { status: "awake" } });
  // Short timeouts: the checker first runs after 5 × 3 s, then every 3 s.
  clock.advance(16_000);
  await waitFor(
    "the timeout to be logged",
    () => story(`worker "silent-one" (${worker.workerId()}) timed out: not seen since `).length === 1,
  );
});

test("a refused submission is one info line; the type_etag note is debug detail", async () => {
  const before = lines.length;
  const res = await managerClient(m.url).POST("/api/v3/jobs", {
    body: {
      name: "typo",
      type: "worker-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { comands: "[]" },
    },
  });
  expect(res.response.status).toBe(400);
  // Other tests' background work may log meanwhile: only this job's lines count.
  const said = lines.slice(before);
  expect(said.filter((l) => l.includes('"typo"'))).toHaveLength(1);
  expect(said.find((l) => l.includes('"typo"'))).toContain(
    'INFO  submission of job "typo" (worker-test) refused: 400 settings: commands: required; comands: unknown key (did you mean "commands"?)',
  );
});

test("request lines are debug detail: written with log_level debug, absent at info", async () => {
  expect(lines.some((l) => l.includes("GET /api/v3/version"))).toBe(false);
  await fetch(`${m.url}/api/v3/version`);
  expect(lines.some((l) => l.includes("GET /api/v3/version"))).toBe(false);

  const debugLines: string[] = [];
  const verbose = await startWorkerTestManager({
    clock,
    config: { log_level: "debug" },
    logger: createLogger("debug", (s) => void debugLines.push(s)),
  });
  try {
    await fetch(`${verbose.url}/api/v3/version`);
    expect(
      debugLines.filter((l) => / DEBUG GET \/api\/v3\/version → 200 in [\d.]+ ms$/.test(l.trim())),
    ).toHaveLength(1);
  } finally {
    await verbose.destroy();
  }
});
