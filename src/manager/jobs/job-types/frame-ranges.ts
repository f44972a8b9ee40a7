// Frame ranges as job-type scripts see them: `frameChunker` and `frameCount` with Flamenco's
// parsing rules ("1..10,20-25, 40"), which output always in "-" notation.
import { MAX_FRAMES_PER_RANGE } from "./limits";

function invalidRange(range: string, problem: string): Error {
  return new Error(`invalid range "${range}": ${problem}`);
}

/** Base-10 integer with optional sign, surrounding whitespace allowed (Go strconv.ParseInt after TrimSpace). */
function parseFrame(range: string, text: string): number {
  const trimmed = text.trim();
  const frame = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(frame)) throw invalidRange(range, `"${trimmed}" is not a frame number`);
  return frame;
}

/** The distinct frames of a range, ascending. */
function explodeFrames(frameRange: string): number[] {
  const range = frameRange.replaceAll("..", "-");
  const frames = new Set<number>();
  for (const part of range.split(",")) {
    // split always gives a first element, so the default is never used.
    const [startText = "", endText, ...more] = part.split("-");
    if (more.length > 0) throw invalidRange(range, part);
    const start = parseFrame(range, startText);
    const end = endText === undefined ? start : parseFrame(range, endText);
    if (end - start + 1 > MAX_FRAMES_PER_RANGE) {
      throw invalidRange(range, `${part} has more than ${MAX_FRAMES_PER_RANGE} frames`);
    }
    for (let frame = start; frame <= end; frame++) frames.add(frame);
    if (frames.size > MAX_FRAMES_PER_RANGE)
      throw invalidRange(range, `more than ${MAX_FRAMES_PER_RANGE} frames`);
  }
  return [...frames].sort((a, b) => a - b);
}

/** Consecutive runs of sorted frames: 1 frame → "N", 2 → "N,N+1", 3 or more → "A-B". */
function mergeFrames(frames: number[]): string {
  const parts: string[] = [];
  const addRun = (start: number, end: number) => {
    if (end === start) parts.push(`${start}`);
    else if (end === start + 1) parts.push(`${start}`, `${end}`);
    else parts.push(`${start}-${end}`);
  };
  let run: { start: number; end: number } | undefined;
  for (const frame of frames) {
    if (run && frame === run.end + 1) {
      run.end = frame;
      continue;
    }
    if (run) addRun(run.start, run.end);
    run = { start: frame, end: frame };
  }
  if (run) addRun(run.start, run.end);
  return parts.join(",");
}

/** Splits the frames of `frameRange` into chunks of at most `chunkSize` frames. */
export function frameChunker(frameRange: string, chunkSize: number): string[] {
  const range = frameRange.trim();
  if (range === "") throw invalidRange(range, "empty range");
  if (!(chunkSize >= 1)) throw new Error(`invalid chunk size, must be positive number: ${chunkSize}`);
  const frames = explodeFrames(range);
  if (frames.length === 0) throw invalidRange(range, "empty range");
  const chunks: string[] = [];
  for (let i = 0; i < frames.length; i += chunkSize) chunks.push(mergeFrames(frames.slice(i, i + chunkSize)));
  return chunks;
}

/** Number of distinct frames in `frameRange`. */
export function frameCount(frameRange: string): number {
  return explodeFrames(frameRange).length;
}
