// A CommandContext for command tests that keeps what a command reports (log updates, steps,
// produced files) in arrays instead of sending them to a Manager.
import type { CommandContext } from "../../../src/worker/commands/context";
import { LogChunker } from "../../../src/worker/log-chunker";

export interface RecordingContext extends CommandContext {
  logs: string[];
  steps: number;
  outputs: string[];
  abort(): void;
  /** Everything logged, in order, as one text. */
  logText(): string;
}

export function recordingContext(overrides: Partial<CommandContext["subprocess"]> = {}): RecordingContext {
  const controller = new AbortController();
  const ctx: RecordingContext = {
    signal: controller.signal,
    logs: [],
    steps: 0,
    outputs: [],
    log: (text) => void ctx.logs.push(text),
    chunker: () => new LogChunker((text) => ctx.logs.push(text), 10_240, 60_000),
    step: () => void ctx.steps++,
    outputProduced: (path) => void ctx.outputs.push(path),
    subprocess: {
      oomScoreAdjust: null,
      killGraceMs: 2_000,
      which: (n) => Bun.which(n),
      platform: process.platform,
      ...overrides,
    },
    abort: () => controller.abort(),
    logText: () => ctx.logs.join(""),
  };
  return ctx;
}
