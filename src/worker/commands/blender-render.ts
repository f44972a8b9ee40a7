// `blender-render`: builds Blender's command line from the task's parameters,
// runs it, and reads its output for progress (frames rendered or skipped) and saved images,
// in the output format of Blender up to 4.5 and of Blender 5.
import type { CommandFn } from "./context";
import { CommandParams } from "./params";
import { runSubprocess } from "./subprocess";

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

export const blenderRender: CommandFn = async (parameters, ctx) => {
  await runSubprocess({
    argv: blenderArgv(parameters),
    ctx,
    onLine(line) {
      const parsed = parseBlenderLine(line);
      if (parsed.saved !== null) ctx.outputProduced(parsed.saved);
      if (parsed.frameDone) ctx.step();
    },
  });
};
