import { expect, test } from "bun:test";
import { Backoff, jitter, sleepUnlessAborted } from "../../src/worker/wait";

test("jitter stays within ±10 % (3 s → [2.7 s, 3.3 s])", () => {
  expect(jitter(3_000, () => 0)).toBe(2_700);
  expect(jitter(3_000, () => 0.5)).toBe(3_000);
  expect(jitter(3_000, () => 0.999999)).toBe(3_300);
  for (let i = 0; i < 100; i++) {
    const j = jitter(20_000);
    expect(j).toBeGreaterThanOrEqual(18_000);
    expect(j).toBeLessThanOrEqual(22_000);
  }
});

test("back-off doubles up to its maximum and starts over after reset", () => {
  const b = new Backoff(100, 500);
  expect([b.failed(), b.failed(), b.failed(), b.failed()]).toEqual([100, 200, 400, 500]);
  b.reset();
  expect(b.failed()).toBe(100);
});

test("an abortable sleep ends early on abort and says so", async () => {
  const ctl = new AbortController();
  const started = performance.now();
  const slept = sleepUnlessAborted(10_000, ctl.signal);
  ctl.abort();
  expect(await slept).toBe(false);
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(await sleepUnlessAborted(5)).toBe(true);
  expect(await sleepUnlessAborted(5, ctl.signal)).toBe(false);
});
