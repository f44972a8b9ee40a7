// A stand-in for `blender -b file.blend ... --render-output P --render-frame A..B` in tests: prints
// the lines a real render prints (odd frames in Blender 4.x style, even frames in Blender 5 style)
// and writes a small real PNG per frame. Run it as `bun blender-standin.ts <blender args>`.
// `--standin-frame-ms N` makes each frame take N ms; `--standin-fail-at F` exits 1 at frame F.
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import sharp from "sharp";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args.includes("--version")) {
  console.log("Blender 4.2.0 (stand-in)");
  process.exit(0);
}

/** `1..3` → [1,2,3]; `5` → [5]; `1,4..5` → [1,4,5]. */
function frames(spec: string): number[] {
  return spec.split(",").flatMap((part) => {
    const [a = NaN, b] = part.split("..").map(Number);
    if (b === undefined) return [a];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** Blender replaces the last run of `#` with the zero-padded frame number. */
function outputPath(pattern: string, frame: number, extension: string): string {
  const m = /#+(?!.*#)/.exec(pattern);
  const path = m
    ? pattern.slice(0, m.index) +
      String(frame).padStart(m[0].length, "0") +
      pattern.slice(m.index + m[0].length)
    : pattern + String(frame).padStart(4, "0");
  return path + extension;
}

const output = option("--render-output") ?? "/tmp/standin-####";
const frameSpec = option("--render-frame") ?? "1";
const frameMs = Number(option("--standin-frame-ms") ?? "0");
const failAt = Number(option("--standin-fail-at") ?? "NaN");
const clock = (ms: number) => `00:${(ms / 1000).toFixed(3).padStart(6, "0")}`;

console.log("Blender 4.2.0 (hash 000000000000 built 2026-01-01 00:00:00)");
console.log(`Read blend: "${args.find((a) => a.endsWith(".blend")) ?? ""}"`);
console.error("Warning: this is a stand-in, not Blender");

const start = Date.now();
for (const frame of frames(frameSpec)) {
  if (frame === failAt) {
    console.error(`Error: stand-in told to fail at frame ${frame}`);
    process.exit(1);
  }
  const path = outputPath(output, frame, ".png");
  if (existsSync(path)) {
    console.log(`skipping existing frame "${path}"`);
    continue;
  }
  console.log(`Fra:${frame} Mem:12.00M (Peak 12.00M) | Time:00:00.01 | Syncing Cube`);
  if (frameMs > 0) await Bun.sleep(frameMs);
  mkdirSync(dirname(path), { recursive: true });
  await sharp({
    create: { width: 64, height: 48, channels: 3, background: { r: frame * 40, g: 90, b: 200 } },
  })
    .png()
    .toFile(path);
  if (frame % 2 === 1) {
    console.log(`Saved: '${path}'`);
    console.log(" Time: 00:00.05 (Saving: 00:00.01)");
  } else {
    const t = clock(Date.now() - start);
    console.log(`${t}  render           | Saved: '${path}'`);
    console.log(`${t}  render           | Time: 00:00.05 (Saving: 00:00.01)`);
  }
}
console.log("Blender quit");
