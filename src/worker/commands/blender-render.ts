// `blender-render`: builds Blender's command line from the task's parameters,
// runs it, and reads its output for progress (frames rendered or skipped) and saved images,
// in the output format of Blender up to 4.5 and of Blender 5. A Blender that is not there gets a
// failure saying where the path to Blender comes from.
import { CommandError, type CommandFn } from "./context";
import { CommandParams } from "./params";
import { ExecutableNotFound, runSubprocess } from "./subprocess";

/** Blender ≤ 4.5 starts these lines with the text itself; Blender 5 prefixes `<time>  render  | `. */
const LINE_START = String.raw`(?:^\s*|\brender\s+\|\s+)`;
const SAVED = new RegExp(`${LINE_START}Saved: '(.*)'`);
const FRAME_RENDERED = new RegExp(`${LINE_START}Time: ([0-9:.]+)`);
const FRAME_SKIPPED = new RegExp(`${LINE_START}[sS]kipping existing frame`);

export interface BlenderLine {
  /** Path of an image Blender saved. */
  saved: string | null;
  /** The line reports a finished frame (rendered or skipped): one step of progress. */
  frameDone: boolean;
}

export function parseBlenderLine(line: string): BlenderLine {
  return {
    saved: SAVED.exec(line)?.[1] ?? null,
    frameDone: FRAME_RENDERED.test(line) || FRAME_SKIPPED.test(line),
  };
}

/** argv = exe, exeArgs (split like a shell), argsBefore, the blend file unless "", args. */
export function blenderArgv(parameters: Record<string, unknown>): string[] {
  const params = new CommandParams("blender-render", parameters);
  const exe = params.requiredString("exe");
  const exeArgs = params.shellWords("exeArgs");
  const argsBefore = params.stringList("argsBefore");
  const blendfile = params.presentString("blendfile");
  const args = params.stringList("args");
  return [exe, ...exeArgs, ...argsBefore, ...(blendfile ? [blendfile] : []), ...args];
}

/**
 * The failure for a missing Blender. `exe` is normally the Manager's `blender` variable expanded
 * for this worker's platform, so that is what to fix; the exec error stays at the end, worded as
 * Flamenco's worker words it.
 */
export function blenderNotFoundMessage(err: ExecutableNotFound): string {
  const [problem, remedy] = err.searchedPath
    ? [
        `"${err.exe}" is not on this worker's PATH`,
        "set it (per platform) in the Manager's settings or flamenco-manager.yaml, or put Blender on this worker's PATH",
      ]
    : [
        `"${err.exe}" is not an executable file on this worker`,
        "set it (per platform) in the Manager's settings or flamenco-manager.yaml to the path of Blender on this worker",
      ];
  return `Blender not found: ${problem}. The Manager's "blender" variable decides which Blender workers run: ${remedy}. (${err.message})`;
}

export const blenderRender: CommandFn = async (parameters, ctx) => {
  try {
    await runSubprocess({
      argv: blenderArgv(parameters),
      ctx,
      onLine(line) {
        const parsed = parseBlenderLine(line);
        if (parsed.saved !== null) ctx.outputProduced(parsed.saved);
        if (parsed.frameDone) ctx.step();
      },
    });
  } catch (err) {
    if (err instanceof ExecutableNotFound) throw new CommandError(blenderNotFoundMessage(err));
    throw err;
  }
};
