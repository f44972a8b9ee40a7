import { expect, test } from "bun:test";
import {
  DEFAULT_TIMINGS,
  FETCH_ERROR_WAIT_MAX_MS,
  POLL_JITTER_FRACTION,
  scaleTimings,
} from "../../src/worker/constants";

test("the default waits are Flamenco's", () => {
  expect(DEFAULT_TIMINGS).toMatchObject({
    signOnRetryMs: 5_000,
    fetchFirstWaitMs: 3_000,
    fetchNoTaskWaitMs: 20_000,
    pauseAfterTaskMs: 2_000,
    mayIRunPeriodMs: 10_000,
    asleepPollMs: 3_000,
    logChunkMaxAgeMs: 30_000,
    upstreamRetryMaxMs: 30_000,
  });
});

test("the longest error back-off, jitter included, stays below the Manager's default 60 s worker timeout", () => {
  expect(FETCH_ERROR_WAIT_MAX_MS * (1 + POLL_JITTER_FRACTION)).toBeLessThan(60_000);
});

test("scaling multiplies every wait and refuses nonsense", () => {
  const fast = scaleTimings(0.1);
  expect(fast.fetchNoTaskWaitMs).toBe(2_000);
  expect(fast.mayIRunPeriodMs).toBe(1_000);
  expect(Object.keys(fast)).toEqual(Object.keys(DEFAULT_TIMINGS));
  expect(() => scaleTimings(0)).toThrow(/positive/);
  expect(() => scaleTimings(Number.NaN)).toThrow(/positive/);
});
