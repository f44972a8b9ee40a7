// `frames-to-video` (worker.md §7.5): encodes an image sequence into a video with FFmpeg. On
// POSIX FFmpeg reads the frames through its glob pattern; on Windows, which FFmpeg cannot glob,
// through a concat index file written to a temporary folder.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { shellSplit } from "../../jobs/job-types/shell-split";
import { CommandError, type CommandContext, type CommandFn } from "./context";
import { CommandParams } from "./params";
import { runSubprocess } from "./subprocess";

const FFMPEG_NAMES = ["ffmpeg", "ffmpeg.exe"];

export interface FramesToVideo {
  argv: string[];
  /** Windows: the concat index to write before running, and to remove afterwards. */
  indexFile: { path: string; content: string } | null;
}

/** Shortest decimal form: 24, 23.976. */
const formatFps = (fps: number) => String(fps);

export async function framesToVideoArgv(
  parameters: Record<string, unknown>,
  ctx: CommandContext,
): Promise<FramesToVideo> {
  const params = new CommandParams("frames-to-video", parameters);
  let exe = params.requiredString("exe");
  if (FFMPEG_NAMES.includes(exe)) {
    const found = ctx.subprocess.which(exe);
    if (!found) throw params.invalid("exe", "FFmpeg cannot be found on this worker");
    exe = found;
  }
  let exeArgs: string[];
  try {
    exeArgs = shellSplit(params.optionalString("exeArgs"));
  } catch (err) {
    throw params.invalid("exeArgs", (err as Error).message);
  }
  const fps = params.requiredNumber("fps");
  if (fps <= 0) throw params.invalid("fps", "must be a positive number");
  const inputGlob = params.requiredString("inputGlob");
  const outputFile = params.requiredString("outputFile");
  const argsBefore = params.stringList("argsBefore");
  const args = params.stringList("args");

  let inputArgs: string[];
  let indexFile: FramesToVideo["indexFile"] = null;
  if (ctx.subprocess.platform === "win32") {
    const files = (
      await Array.fromAsync(new Bun.Glob(inputGlob.replaceAll("\\", "/")).scan({ absolute: true }))
    ).sort();
    if (files.length === 0)
      throw new CommandError(`creating input for FFmpeg: no files found at ${inputGlob}`);
    const duration = (1 / fps).toFixed(6);
    const content = files.map((f) => `file '${f.replaceAll("'", "\\'")}'\nduration ${duration}\n`).join("");
    const path = join(await mkdtemp(join(tmpdir(), "tablao-ffmpeg-")), "ffmpeg-file-index.txt");
    indexFile = { path, content };
    inputArgs = ["-f", "concat", "-safe", "0", "-i", path];
  } else {
    inputArgs = ["-r", formatFps(fps), "-pattern_type", "glob", "-i", inputGlob.replaceAll("\\", "/")];
  }
  return {
    argv: [exe, ...exeArgs, ...argsBefore, ...inputArgs, ...args, "-r", formatFps(fps), outputFile],
    indexFile,
  };
}

export const framesToVideo: CommandFn = async (parameters, ctx) => {
  const { argv, indexFile } = await framesToVideoArgv(parameters, ctx);
  try {
    if (indexFile) await writeFile(indexFile.path, indexFile.content, { mode: 0o666 });
    await runSubprocess({ argv, ctx });
  } finally {
    if (indexFile) await rm(dirname(indexFile.path), { recursive: true, force: true });
  }
};
