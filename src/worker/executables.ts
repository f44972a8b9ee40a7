// Start-up probes of Blender and FFmpeg: informational only, since the Manager
// usually gives the full path through its variables. Failures are reported, never fatal.
import { BLENDER_PROBE_TIMEOUT_MS, FFMPEG_PROBE_TIMEOUT_MS } from "./constants";

export interface ProbeResult {
  path: string;
  version: string;
}

async function firstOutput(argv: string[], timeoutMs: number): Promise<string> {
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "ignore", timeout: timeoutMs });
  const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return out;
}

/** Blender on PATH; its version is the first line starting with "Blender ". */
export async function probeBlender(which: (name: string) => string | null): Promise<ProbeResult | string> {
  const path = which("blender");
  if (!path)
    return 'no blender on PATH; render tasks fail unless the Manager\'s "blender" variable gives the full path to Blender on this worker';
  try {
    const out = await firstOutput([path, "--version"], BLENDER_PROBE_TIMEOUT_MS);
    const line = out
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.startsWith("Blender "));
    return line ? { path, version: line.slice("Blender ".length) } : `${path} is not a Blender executable`;
  } catch (err) {
    return `cannot run ${path}: ${(err as Error).message}`;
  }
}

/** FFmpeg on PATH; its output starts with "ffmpeg version <version> ...". */
export async function probeFFmpeg(which: (name: string) => string | null): Promise<ProbeResult | string> {
  const path = which("ffmpeg");
  if (!path) return "no ffmpeg on PATH; frames-to-video tasks will fail on this worker";
  try {
    const [first, ...more] = (await firstOutput([path, "-version"], FFMPEG_PROBE_TIMEOUT_MS)).split("\n");
    if (first === undefined || more.length === 0 || !first.startsWith("ffmpeg version "))
      return `${path} is not an FFmpeg executable`;
    // "ffmpeg version " splits into at least three words, so the default never applies.
    const [, , version = ""] = first.split(" ");
    return { path, version };
  } catch (err) {
    return `cannot run ${path}: ${(err as Error).message}`;
  }
}
