import { expect, test } from "bun:test";
import { reconnectDelayMs, RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS } from "../../src/web/live";

test("reconnect delays double from 250 ms and stop at 3 s", () => {
  const delays = Array.from({ length: 8 }, (_, i) => reconnectDelayMs(i));
  expect(delays).toEqual([250, 500, 1000, 2000, 3000, 3000, 3000, 3000]);
  expect(RECONNECT_MIN_DELAY_MS).toBe(250);
  expect(RECONNECT_MAX_DELAY_MS).toBe(3000);
  expect(reconnectDelayMs(10_000)).toBe(3000);
});
