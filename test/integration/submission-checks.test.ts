// Submission checks against a real Manager: every setting is checked against its job type, all
// problems of a submission come back in one 400, nothing is stored, the refusal is logged once,
// and what the Blender add-on sends for the built-in job types still passes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { z } from "zod";
import { createLogger } from "../../src/shared/log";
import { renderJob } from "../support/blender-scene";
import { startTestManager, type TestManager } from "../support/manager";

let m: TestManager;
const logLines: string[] = [];

beforeAll(async () => {
  m = await startTestManager({ logger: createLogger("info", (s) => void logLines.push(s)) });
});
afterAll(() => m.destroy());

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${m.url}/api/v3${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

const ErrorAnswer = z.object({ code: z.number(), message: z.string() });
const JobsAnswer = z.object({ jobs: z.array(z.object({ id: z.string() })) });
const JobTypeAnswer = z.object({ etag: z.string(), settings: z.array(z.object({ key: z.string() })) });

const jobCount = async () => JobsAnswer.parse((await api("GET", "/jobs")).body).jobs.length;

/** Three mistakes: a word for a number, a misspelt key, and the required message left out. */
const threeWrongSettings = {
  name: "hello",
  type: "echo-sleep-test",
  priority: 50,
  submitter_platform: "linux",
  settings: { sleep_duration_seconds: "two", sleep_secs: 3, sleep_repeats: 2 },
};
const EXPECTED_MESSAGE =
  'settings: message: required; sleep_duration_seconds: expected a whole number (int32), got "two"; ' +
  "sleep_secs: unknown key (the keys here are message, sleep_duration_seconds, sleep_repeats)";

test("a submission with three wrong settings gets one 400 naming all three, and stores nothing", async () => {
  const before = await jobCount();
  const res = await api("POST", "/jobs", threeWrongSettings);
  expect(res.status).toBe(400);
  expect(ErrorAnswer.parse(res.body)).toEqual({ code: 400, message: EXPECTED_MESSAGE });
  expect(await jobCount()).toBe(before);
});

test("submitJobCheck answers the same", async () => {
  const res = await api("POST", "/jobs/check", threeWrongSettings);
  expect(res.status).toBe(400);
  expect(ErrorAnswer.parse(res.body)).toEqual({ code: 400, message: EXPECTED_MESSAGE });
});

test("a refused submission is logged once, at info, with its reason", () => {
  const refusals = logLines.filter((l) => l.includes('submission of job "hello" (echo-sleep-test) refused'));
  expect(refusals).toHaveLength(1);
  expect(refusals[0]).toContain(
    `INFO  submission of job "hello" (echo-sleep-test) refused: 400 ${EXPECTED_MESSAGE}`,
  );
});

test("what the add-on sends for simple-blender-render (every declared key, with its etag) passes", async () => {
  const type = JobTypeAnswer.parse((await api("GET", "/jobs/type/simple-blender-render")).body);
  const job = { ...renderJob("/tmp/farm", "/tmp/farm/scene.blend", 2), type_etag: type.etag };
  // The add-on sends exactly the keys the job type declares: the test job must do the same.
  expect(Object.keys(job.settings).sort()).toEqual(type.settings.map((s) => s.key).sort());
  expect((await api("POST", "/jobs/check", job)).status).toBe(204);
  expect((await api("POST", "/jobs", job)).status).toBe(200);
  expect(logLines.some((l) => l.includes('INFO  job "real render" (simple-blender-render, 3 tasks'))).toBe(
    true,
  );
});

test("what the add-on sends for echo-sleep-test passes", async () => {
  const type = JobTypeAnswer.parse((await api("GET", "/jobs/type/echo-sleep-test")).body);
  const res = await api("POST", "/jobs", {
    ...threeWrongSettings,
    type_etag: type.etag,
    settings: { message: "Hello", sleep_duration_seconds: 1, sleep_repeats: 1 },
  });
  expect(res.status).toBe(200);
});
