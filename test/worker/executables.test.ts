import { expect, test } from "bun:test";
import { probeBlender, probeFFmpeg } from "../../src/worker/executables";

test("FFmpeg on PATH is found with its version", async () => {
  const found = await probeFFmpeg((name) => Bun.which(name));
  if (typeof found === "string") throw new Error(`FFmpeg not found: ${found}`);
  expect(found.path).toContain("ffmpeg");
  expect(found.version).toMatch(/^\d/);
});

test("missing or wrong executables give a message, not an error", async () => {
  expect(await probeBlender(() => null)).toMatch(/no blender on PATH/);
  expect(await probeFFmpeg(() => null)).toMatch(/no ffmpeg on PATH/);
  expect(await probeBlender(() => "/bin/echo")).toBe("/bin/echo is not a Blender executable");
  expect(await probeFFmpeg(() => "/bin/true")).toBe("/bin/true is not an FFmpeg executable");
});
