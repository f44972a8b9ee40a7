// Submitting jobs over the limits of src/manager/jobs/limits.ts to a real Manager (SQLite file,
// Bun.serve): a 400 naming the limit, nothing stored, and user text never splits a log line.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  JOB_METADATA_MAX_BYTES,
  JOB_NAME_MAX_CHARS,
  JOB_SETTINGS_MAX_BYTES,
  JOB_TYPE_NAME_MAX_CHARS,
  SUBMITTED_JOB_MAX_BYTES,
  WORKER_TAG_NAME_MAX_CHARS,
} from "../../../src/manager/jobs/limits";
import { createLogger } from "../../../src/shared/log";
import { startTestManager, type TestManager } from "../../support/manager";

let m: TestManager;
const logLines: string[] = [];

beforeAll(async () => {
  m = await startTestManager({ logger: createLogger("debug", (s) => void logLines.push(s)) });
});
afterAll(() => m.destroy());

const job = (overrides: Record<string, unknown> = {}) => ({
  name: "limits",
  type: "echo-sleep-test",
  priority: 50,
  submitter_platform: "linux",
  settings: { message: "hi", sleep_duration_seconds: 1, sleep_repeats: 1 },
  ...overrides,
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${m.url}/api/v3${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function jobCount(): Promise<number> {
  const res = await fetch(`${m.url}/api/v3/jobs`);
  return ((await res.json()) as { jobs: unknown[] }).jobs.length;
}

/** Both the submission and its dry run refuse `body` with a 400 whose message matches; nothing is stored. */
async function refused(body: unknown, message: RegExp): Promise<void> {
  const before = await jobCount();
  for (const path of ["/jobs", "/jobs/check"]) {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    const error = (await res.json()) as { code: number; message: string };
    expect(error.code).toBe(400);
    expect(error.message).toMatch(message);
  }
  expect(await jobCount()).toBe(before);
}

test("a name at the limit is stored; one character more is refused", async () => {
  const name = "n".repeat(JOB_NAME_MAX_CHARS);
  const res = await post("/jobs", job({ name }));
  expect(res.status).toBe(200);
  expect(((await res.json()) as { name: string }).name).toBe(name);
  await refused(job({ name: `${name}n` }), /^invalid body\.name: longer than the limit of 1024 characters$/);
});

test("an over-long job type name is refused before the type is looked up", async () => {
  await refused(
    job({ type: "t".repeat(JOB_TYPE_NAME_MAX_CHARS + 1) }),
    /^invalid body\.type: longer than the limit of 256 characters$/,
  );
});

test("settings larger than 1 MiB are refused, naming the limit", async () => {
  const message = "m".repeat(JOB_SETTINGS_MAX_BYTES);
  await refused(
    job({ settings: { message, sleep_duration_seconds: 1, sleep_repeats: 1 } }),
    /^settings: larger than the limit of 1 MiB \(\d+ bytes as JSON\)$/,
  );
});

test("metadata larger than 64 KiB is refused; many small entries count together", async () => {
  const entries = Object.fromEntries(
    Array.from({ length: JOB_METADATA_MAX_BYTES / 16 }, (_, i) => [`key.${i}`, "value-value"]),
  );
  await refused(job({ metadata: entries }), /^metadata: larger than the limit of 64 KiB/);
  const res = await post("/jobs", job({ metadata: { "user.name": "Ana", project: "Sprite Fright" } }));
  expect(res.status).toBe(200);
});

test("a whole job larger than 2 MiB is refused, whatever field makes it large", async () => {
  await refused(
    job({ submitter_platform: "p".repeat(SUBMITTED_JOB_MAX_BYTES) }),
    /^job: larger than the limit of 2 MiB/,
  );
});

test("a tag name over the limit is refused when changing a job's tag", async () => {
  const created = await post("/jobs", job());
  const { id } = (await created.json()) as { id: string };
  const res = await post(`/jobs/${id}/settag`, { name: "t".repeat(WORKER_TAG_NAME_MAX_CHARS + 1) });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { message: string }).message).toBe(
    "invalid body.name: longer than the limit of 256 characters",
  );
});

test("a job name cannot forge a log line or send terminal escapes", async () => {
  const forged = "2024-01-01T00:00:00.000Z ERROR all workers were deleted";
  const name = `render\n${forged}\r\n\x1b[2J`;
  const res = await post("/jobs", job({ name }));
  expect(res.status).toBe(200);
  const line = logLines.find((l) => l.includes("submitted without type_etag") && l.includes("render"));
  expect(line).toBeDefined();
  expect(line).toContain(`render\\n${forged}\\r\\n\\x1b[2J`);
  expect(logLines.some((l) => l.startsWith(forged))).toBe(false);
  for (const l of logLines) expect(l.slice(0, -1)).not.toMatch(/[\n\r\x1b]/);
});
