// `frames-to-video`: encodes an image sequence into a video with FFmpeg. On
// POSIX FFmpeg reads the frames through its glob pattern; on Windows, which FFmpeg cannot glob,
// through a concat index file written to a temporary folder. FFmpeg comes from the worker's PATH.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, type CommandContext, type CommandFn } from "./context";
import { CommandParams } from "./params";
import { runSubprocess } from "./subprocess";

const FFMPEG_NAMES = ["ffmpeg", "ffmpeg.exe"];
/**
 * What to do without FFmpeg. The job types name it without a path and no Manager variable
 * replaces it, so the worker's PATH decides; a worker can also leave these tasks to others.
 */
const FFMPEG_MISSING_HINT =
  'preview videos need FFmpeg on the worker that runs the "ffmpeg" task: install it (Debian and Ubuntu: apt-get install ffmpeg) or put it on this worker\'s PATH, or remove "ffmpeg" from task_types in this worker\'s flamenco-worker.yaml so that other workers get these tasks';
const INDEX_FILENAME = "ffmpeg-file-index.txt";

export interface FramesToVideo {
  argv: string[];
  /** Windows: the concat index to write to the index path before running. */
  indexContent: string | null;
}

/** Shortest decimal form: 24, 23.976. */
const formatFps = (fps: number) => String(fps);

/** The FFmpeg command line; on Windows `indexPath` is where the concat index is to be written. */
export async function framesToVideoArgv(
  parameters: Record<string, unknown>,
  ctx: CommandContext,
  indexPath: string,
): Promise<FramesToVideo> {
  const params = new CommandParams("frames-to-video", parameters);
  let exe = params.requiredString("exe");
  if (FFMPEG_NAMES.includes(exe)) {
    const found = ctx.subprocess.which(exe);
    if (!found)
      throw params.invalid(
        "exe",
        `FFmpeg cannot be found on this worker: "${exe}" is not on its PATH; ${FFMPEG_MISSING_HINT}`,
      );
    exe = found;
  }
  const exeArgs = params.shellWords("exeArgs");
  const fps = params.requiredNumber("fps");
  if (fps <= 0) throw params.invalid("fps", "must be a positive number");
  const inputGlob = params.requiredString("inputGlob");
  const outputFile = params.requiredString("outputFile");
  const argsBefore = params.stringList("argsBefore");
  const args = params.stringList("args");

  let inputArgs: string[];
  let indexContent: string | null = null;
  if (ctx.subprocess.platform === "win32") {
    const files = (
      await Array.fromAsync(new Bun.Glob(inputGlob.replaceAll("\\", "/")).scan({ absolute: true }))
    ).sort();
    if (files.length === 0)
      throw new CommandError(`creating input for FFmpeg: no files found at ${inputGlob}`);
    const duration = (1 / fps).toFixed(6);
    indexContent = files.map((f) => `file '${f.replaceAll("'", "\\'")}'\nduration ${duration}\n`).join("");
    inputArgs = ["-f", "concat", "-safe", "0", "-i", indexPath];
  } else {
    inputArgs = ["-r", formatFps(fps), "-pattern_type", "glob", "-i", inputGlob.replaceAll("\\", "/")];
  }
  return {
    argv: [exe, ...exeArgs, ...argsBefore, ...inputArgs, ...args, "-r", formatFps(fps), outputFile],
    indexContent,
  };
}

export const framesToVideo: CommandFn = async (parameters, ctx) => {
  // Only Windows needs the folder; it is private to this task, not inside the frames folder.
  const indexDir =
    ctx.subprocess.platform === "win32" ? await mkdtemp(join(tmpdir(), "tablao-ffmpeg-")) : null;
  try {
    const indexPath = join(indexDir ?? "", INDEX_FILENAME);
    const { argv, indexContent } = await framesToVideoArgv(parameters, ctx, indexPath);
    if (indexContent !== null) await writeFile(indexPath, indexContent, { mode: 0o666 });
    await runSubprocess({ argv, ctx });
  } finally {
    if (indexDir) await rm(indexDir, { recursive: true, force: true });
  }
};
