import { describe, expect, test } from "bun:test";
import {
  DurationError,
  formatDuration,
  formatDurationNs,
  parseDuration,
  parseDurationNs,
} from "../../../src/manager/config/durations";

describe("parseDuration", () => {
  test.each([
    ["0", 0],
    ["0s", 0],
    ["1ms", 1],
    ["1.5s", 1500],
    ["10m", 600_000],
    ["10m0s", 600_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["24h0m0s", 86_400_000],
    ["744h", 2_678_400_000],
    ["-1.5h", -5_400_000],
    ["+2s", 2000],
    [".5s", 500],
    ["1.s", 1000],
    ["1h1h", 7_200_000],
    ["2us", 0.002],
    ["2µs", 0.002],
    ["2μs", 0.002],
    ["1ns", 0.000001],
  ])("%p → %p ms", (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  test.each(["", "ten minutes", "10", "1.5", "-", ".s", "1 h", "1h ", "5d", "h", "1s2", "9999999999999h"])(
    "rejects %p with a Go-syntax hint",
    (input) => {
      expect(() => parseDuration(input)).toThrow(DurationError);
      expect(() => parseDuration(input)).toThrow(
        `invalid duration ${JSON.stringify(input)} (use Go syntax such as 10m0s)`,
      );
    },
  );
});

describe("formatDuration", () => {
  test.each([
    [0, "0s"],
    [1, "1ms"],
    [1.5, "1.5ms"],
    [300, "300ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [60_000, "1m0s"],
    [90_000, "1m30s"],
    [600_000, "10m0s"],
    [3_600_000, "1h0m0s"],
    [86_400_000, "24h0m0s"],
    [2_678_400_000, "744h0m0s"],
    [3_723_004, "1h2m3.004s"],
    [-5_400_000, "-1h30m0s"],
    [0.000001, "1ns"],
    [0.0015, "1.5µs"],
  ])("%p ms → %p", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test.each([
    "10m0s",
    "24h0m0s",
    "0s",
    "1.5s",
    "1ms",
    "1m30s",
    "1h0m0.5s",
    "1ns",
    "1.5µs",
    "-1h30m0s",
    "744h0m0s",
  ])("canonical %p round-trips through milliseconds", (text) => {
    expect(formatDuration(parseDuration(text))).toBe(text);
  });

  test("canonicalises the short forms", () => {
    expect(formatDuration(parseDuration("10m"))).toBe("10m0s");
    expect(formatDuration(parseDuration("90s"))).toBe("1m30s");
    expect(formatDuration(parseDuration("0"))).toBe("0s");
  });

  test("nanosecond precision survives for large values", () => {
    expect(formatDurationNs(parseDurationNs("744h0m0.000000001s"))).toBe("744h0m0.000000001s");
  });

  test("rejects non-finite input", () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});
