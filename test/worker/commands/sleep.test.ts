import { expect, test } from "bun:test";
import { CommandCancelled } from "../../../src/worker/commands/context";
import { formatGoDuration, sleep } from "../../../src/worker/commands/sleep";
import { recordingContext } from "./recording-context";

test.each([
  [0, "0s"],
  [47, "47s"],
  [90, "1m30s"],
  [3605, "1h0m5s"],
])("%d seconds read %s", (s, text) => expect(formatGoDuration(s)).toBe(text));

test("sleep truncates to whole seconds and then logs how long it slept", async () => {
  const ctx = recordingContext();
  await sleep({ duration_in_seconds: 0.9 }, ctx);
  expect(ctx.logs).toEqual(["slept 0s"]);
});

test("negative or non-numeric durations are invalid", async () => {
  await expect(sleep({ duration_in_seconds: -1 }, recordingContext())).rejects.toThrow(/cannot be negative/);
  await expect(sleep({ duration_in_seconds: "3" }, recordingContext())).rejects.toThrow(/not a number/);
});

test("an aborted sleep is cancelled, not failed, and logs nothing", async () => {
  const ctx = recordingContext();
  const run = sleep({ duration_in_seconds: 30 }, ctx);
  ctx.abort();
  await expect(run).rejects.toBeInstanceOf(CommandCancelled);
  expect(ctx.logs).toEqual([]);
});
