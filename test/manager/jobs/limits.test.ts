// The size limits of submitted jobs (src/manager/jobs/limits.ts): exact boundaries and messages.
import { expect, test } from "bun:test";
import {
  JOB_METADATA_MAX_BYTES,
  JOB_SETTINGS_MAX_BYTES,
  SUBMITTED_JOB_MAX_BYTES,
  checkSubmissionSize,
  describeBytes,
} from "../../../src/manager/jobs/limits";
import { ApiError } from "../../../src/manager/errors";
import { thrownBy } from "../../support/thrown";

const thrown = (fn: () => unknown) => thrownBy(ApiError, fn);

/** An object whose JSON is exactly `bytes` long: `{"k":"xxx..."}`. */
function jsonOfSize(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ k: "" }).length;
  return { k: "x".repeat(bytes - overhead) };
}

test("limits are written in the units people read", () => {
  expect(describeBytes(JOB_SETTINGS_MAX_BYTES)).toBe("1 MiB");
  expect(describeBytes(JOB_METADATA_MAX_BYTES)).toBe("64 KiB");
  expect(describeBytes(SUBMITTED_JOB_MAX_BYTES)).toBe("2 MiB");
  expect(describeBytes(1000)).toBe("1000 bytes");
});

test("settings and metadata exactly at their limit pass; one byte more is refused with a 400", () => {
  expect(() => checkSubmissionSize({ settings: jsonOfSize(JOB_SETTINGS_MAX_BYTES) })).not.toThrow();
  expect(() => checkSubmissionSize({ metadata: jsonOfSize(JOB_METADATA_MAX_BYTES) })).not.toThrow();

  const settings = thrown(() => checkSubmissionSize({ settings: jsonOfSize(JOB_SETTINGS_MAX_BYTES + 1) }));
  expect(settings).toMatchObject({
    status: 400,
    message: `settings: larger than the limit of 1 MiB (${JOB_SETTINGS_MAX_BYTES + 1} bytes as JSON)`,
  });
  const metadata = thrown(() => checkSubmissionSize({ metadata: jsonOfSize(JOB_METADATA_MAX_BYTES + 1) }));
  expect(metadata.status).toBe(400);
  expect(metadata.message).toMatch(/^metadata: larger than the limit of 64 KiB /);
});

test("sizes are counted in UTF-8 bytes, not characters", () => {
  // "é" is two bytes: half the limit in characters is the whole limit in bytes.
  const chars = (JOB_METADATA_MAX_BYTES - JSON.stringify({ k: "" }).length) / 2;
  expect(() => checkSubmissionSize({ metadata: { k: "é".repeat(chars) } })).not.toThrow();
  expect(() => checkSubmissionSize({ metadata: { k: "é".repeat(chars + 1) } })).toThrow(/metadata: larger/);
});

test("the whole job is limited too, for the fields without a limit of their own", () => {
  const job = { settings: {}, storage: { shaman_checkout_id: "x".repeat(SUBMITTED_JOB_MAX_BYTES) } };
  const err = thrown(() => checkSubmissionSize(job));
  expect(err.status).toBe(400);
  expect(err.message).toMatch(/^job: larger than the limit of 2 MiB /);
});
