import { expect, test } from "bun:test";
import { formatTimestampLocal } from "../../../../src/manager/jobs/job-types/local-timestamp";

test("formats local time as YYYY-MM-DD_HHMMSS", () => {
  expect(formatTimestampLocal(new Date(2006, 0, 2, 15, 4, 5))).toBe("2006-01-02_150405");
  expect(formatTimestampLocal(new Date(987, 11, 31, 0, 0, 9))).toBe("0987-12-31_000009");
});

test("an invalid date throws", () => {
  expect(() => formatTimestampLocal(new Date(Number.NaN))).toThrow("invalid time");
});
