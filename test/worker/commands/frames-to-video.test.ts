import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { framesToVideo, framesToVideoArgv } from "../../../src/worker/commands/frames-to-video";
import { recordingContext } from "./recording-context";
import { tempDirs } from "../../support/temp-dirs";

const tempDir = tempDirs("tablao-ffmpeg");

test("POSIX: FFmpeg globs the frames itself; fps goes before the input and before the output", async () => {
  const ctx = recordingContext({
    which: (name) => (name === "ffmpeg" ? "/usr/bin/ffmpeg" : null),
    platform: "linux",
  });
  const { argv, indexContent } = await framesToVideoArgv(
    {
      exe: "ffmpeg",
      exeArgs: "-hide_banner",
      fps: 23.976,
      inputGlob: "/render/*.png",
      outputFile: "/render/out.mp4",
      argsBefore: ["-v", "error"],
      args: ["-c:v", "h264", "-y"],
    },
    ctx,
    "unused",
  );
  expect(indexContent).toBeNull();
  expect(argv).toEqual([
    "/usr/bin/ffmpeg",
    "-hide_banner",
    "-v",
    "error",
    "-r",
    "23.976",
    "-pattern_type",
    "glob",
    "-i",
    "/render/*.png",
    "-c:v",
    "h264",
    "-y",
    "-r",
    "23.976",
    "/render/out.mp4",
  ]);
});

test("Windows: the frames are listed in a concat index with one duration per frame", async () => {
  const dir = tempDir();
  for (const f of ["0002.png", "0001.png"]) await Bun.write(join(dir, f), "x");
  const ctx = recordingContext({ which: () => "C:/ffmpeg.exe", platform: "win32" });
  const { argv, indexContent } = await framesToVideoArgv(
    { exe: "ffmpeg.exe", fps: 25, inputGlob: join(dir, "*.png"), outputFile: "out.mp4" },
    ctx,
    "C:/Temp/x/ffmpeg-file-index.txt",
  );
  expect(argv.slice(0, 7)).toEqual([
    "C:/ffmpeg.exe",
    "-f",
    "concat",
    "-safe",
    "0",
    "-i",
    "C:/Temp/x/ffmpeg-file-index.txt",
  ]);
  expect(indexContent).toBe(
    `file '${join(dir, "0001.png")}'\nduration 0.040000\nfile '${join(dir, "0002.png")}'\nduration 0.040000\n`,
  );
  await expect(
    framesToVideoArgv(
      { exe: "ffmpeg", fps: 25, inputGlob: join(dir, "*.exr"), outputFile: "o.mp4" },
      ctx,
      "unused",
    ),
  ).rejects.toThrow(/no files found at/);
});

test("invalid parameters are named", async () => {
  const ctx = recordingContext({ which: () => null });
  await expect(
    framesToVideoArgv({ exe: "ffmpeg", fps: 24, inputGlob: "a", outputFile: "b" }, ctx, "unused"),
  ).rejects.toThrow(/parameter "exe" has invalid value "ffmpeg": FFmpeg cannot be found/);
  const ok = recordingContext();
  await expect(
    framesToVideoArgv({ exe: "/x/ffmpeg", fps: 0, inputGlob: "a", outputFile: "b" }, ok, "unused"),
  ).rejects.toThrow(/"fps"/);
  await expect(
    framesToVideoArgv({ exe: "/x/ffmpeg", fps: 24, outputFile: "b" }, ok, "unused"),
  ).rejects.toThrow(/mandatory parameter "inputGlob" is missing/);
});

test("real FFmpeg turns PNG frames into an MP4", async () => {
  const dir = tempDir();
  for (let i = 1; i <= 3; i++) {
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: i * 60, g: 0, b: 0 } } })
      .png()
      .toFile(join(dir, `000${i}.png`));
  }
  const ctx = recordingContext();
  await framesToVideo(
    {
      exe: "ffmpeg",
      fps: 24,
      inputGlob: join(dir, "*.png"),
      outputFile: join(dir, "video.mp4"),
      args: ["-c:v", "h264", "-pix_fmt", "yuv420p", "-y"],
    },
    ctx,
  );
  expect(existsSync(join(dir, "video.mp4"))).toBe(true);
  expect(readFileSync(join(dir, "video.mp4")).subarray(4, 8).toString()).toBe("ftyp");
  expect(ctx.logText()).toContain("going to run:");
});
