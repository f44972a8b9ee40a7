// `sleep`: waits whole seconds, abortable, then logs how long it slept.
import { sleepUnlessAborted } from "../wait";
import { CommandCancelled, type CommandFn } from "./context";
import { CommandParams } from "./params";

/** Go's time.Duration text for whole seconds: `0s`, `47s`, `1m30s`, `2h0m5s`. */
export function formatGoDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export const sleep: CommandFn = async (parameters, ctx) => {
  const params = new CommandParams("sleep", parameters);
  const seconds = Math.trunc(params.requiredNumber("duration_in_seconds"));
  if (seconds < 0) throw params.invalid("duration_in_seconds", "cannot be negative");
  if (!(await sleepUnlessAborted(seconds * 1000, ctx.signal))) throw new CommandCancelled();
  ctx.log(`slept ${formatGoDuration(seconds)}`);
};
