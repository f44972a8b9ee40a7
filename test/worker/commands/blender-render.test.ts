import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { blenderArgv, blenderRender, parseBlenderLine } from "../../../src/worker/commands/blender-render";
import { recordingContext } from "./recording-context";
import { tempDirs } from "../../support/temp-dirs";

const tempDir = tempDirs("tablao-blender");

const STANDIN = resolve(import.meta.dir, "../../support/blender-standin.ts");

describe("parsing Blender's output", () => {
  test.each([
    // Blender up to 4.5
    ["Saved: '/render/0001.png'", "/render/0001.png", false],
    [" Time: 00:01.23 (Saving: 00:00.01)", null, true],
    ["Time: 00:01.23 (Saving: 00:00.01)", null, true],
    ['skipping existing frame "/render/0003.png"', null, true],
    // Blender 5
    ["00:00.327  render           | Saved: '/out/0001.png'", "/out/0001.png", false],
    ["00:01.500  render           | Time: 00:01.23 (Saving: 00:00.01)", null, true],
    ["00:01.500  render           | Skipping existing frame", null, true],
    // Lines that look alike but are not
    ["Fra:1 Mem:12.00M (Peak 12.00M) | Time:00:00.01 | Syncing Cube", null, false],
    ["Python: print('Saved: \\'x\\'')", null, false],
    ["00:00.1  scene  | Saved: '/not/render.png'", null, false],
  ])("%p", (line, saved, frameDone) => {
    expect(parseBlenderLine(line)).toEqual({ saved, frameDone });
  });

  test("the saved path is the greedy capture (quotes inside the name)", () => {
    expect(parseBlenderLine("Saved: '/out/it's here.png'").saved).toBe("/out/it's here.png");
  });
});

describe("the Blender command line", () => {
  test("exe, exeArgs split like a shell, argsBefore, the blend file, args", () => {
    expect(
      blenderArgv({
        exe: "/opt/blender/blender",
        exeArgs: `-b -y --python-expr "import bpy; print('hi there')"`,
        argsBefore: ["--factory-startup", 24],
        blendfile: "/shots/a b.blend",
        args: ["--render-frame", "1..3"],
      }),
    ).toEqual([
      "/opt/blender/blender",
      "-b",
      "-y",
      "--python-expr",
      "import bpy; print('hi there')",
      "--factory-startup",
      "24",
      "/shots/a b.blend",
      "--render-frame",
      "1..3",
    ]);
  });

  test("an empty blend file is left out; a missing one, a missing exe or bad exeArgs are errors", () => {
    expect(blenderArgv({ exe: "blender", blendfile: "", args: ["--python", "make.py"] })).toEqual([
      "blender",
      "--python",
      "make.py",
    ]);
    expect(() => blenderArgv({ exe: "blender" })).toThrow(/parameter "blendfile" has invalid value/);
    expect(() => blenderArgv({ blendfile: "x.blend" })).toThrow(/mandatory parameter "exe" is missing/);
    expect(() => blenderArgv({ exe: "blender", blendfile: "", exeArgs: '-b "open' })).toThrow(
      /parameter "exeArgs" has invalid value/,
    );
    expect(() => blenderArgv({ exe: "blender", blendfile: "", args: "--no-list" })).toThrow(/"args"/);
  });
});

test("a render counts one step per frame and offers every saved image as a preview", async () => {
  const out = tempDir();
  const ctx = recordingContext();
  await blenderRender(
    {
      exe: process.execPath,
      exeArgs: `${STANDIN} -b -y`,
      blendfile: join(out, "scene.blend"),
      args: ["--render-output", join(out, "####"), "--render-frame", "1..3"],
    },
    ctx,
  );
  expect(ctx.steps).toBe(3);
  expect(ctx.outputs).toEqual(["0001.png", "0002.png", "0003.png"].map((f) => join(out, f)));
  for (const f of ctx.outputs) expect(existsSync(f)).toBe(true);

  // Rendering again: every frame exists, so every frame is skipped, and still counted.
  const again = recordingContext();
  await blenderRender(
    {
      exe: process.execPath,
      exeArgs: STANDIN,
      blendfile: "",
      args: ["--render-output", join(out, "####"), "--render-frame", "1..3"],
    },
    again,
  );
  expect(again.steps).toBe(3);
  expect(again.outputs).toEqual([]);
});

test("a failing render fails the command after logging Blender's last words", async () => {
  const ctx = recordingContext();
  const out = tempDir();
  const run = blenderRender(
    {
      exe: process.execPath,
      exeArgs: `${STANDIN} --standin-fail-at 2`,
      blendfile: "",
      args: ["--render-output", join(out, "####"), "--render-frame", "1..3"],
    },
    ctx,
  );
  await expect(run).rejects.toThrow("command exited abnormally with code 1");
  expect(ctx.steps).toBe(1);
  expect(ctx.logText()).toContain("> Error: stand-in told to fail at frame 2");
});
