// What a command gets to work with (its task's abort signal, log and progress reporting) and the
// two ways it can end early: failing (the task fails) or being cancelled (nothing is reported).
import type { LogChunker } from "../log-chunker";

export interface CommandContext {
  /** Aborted when the task must stop: may-i-run said no, the task was reassigned, or shutdown. */
  signal: AbortSignal;
  /** Sends one task-log update (echo, sleep and the file commands). */
  log(text: string): void;
  /** A chunker for a subprocess's output, sending to this task's log. */
  chunker(): LogChunker;
  /** One step of progress (blender-render counts frames). */
  step(): void;
  /** A file the command wrote that may serve as the job's preview image. */
  outputProduced(path: string): void;
  subprocess: SubprocessSettings;
}

export interface SubprocessSettings {
  /** Linux only: written to each child's oom_score_adj; null leaves it alone. */
  oomScoreAdjust: number | null;
  /** SIGTERM to SIGKILL, when a child must stop. */
  killGraceMs: number;
  /** Finds an executable by name (PATH lookup); null when not found. */
  which(name: string): string | null;
  platform: NodeJS.Platform;
}

/** The command failed; the message ends up in the task's activity and log as `Failed: <message>`. */
export class CommandError extends Error {}

/** The task was stopped from outside; its command ends without reporting anything. */
export class CommandCancelled extends Error {
  constructor() {
    super("command cancelled");
  }
}

export type CommandFn = (parameters: Record<string, unknown>, ctx: CommandContext) => Promise<void>;
