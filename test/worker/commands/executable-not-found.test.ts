// A program a command cannot find: the failure keeps Flamenco's exec wording and, for Blender and
// FFmpeg, says where the program comes from and what to change.
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blenderRender } from "../../../src/worker/commands/blender-render";
import { CommandError } from "../../../src/worker/commands/context";
import { framesToVideo } from "../../../src/worker/commands/frames-to-video";
import { ExecutableNotFound, runSubprocess } from "../../../src/worker/commands/subprocess";
import { tempDirs } from "../../support/temp-dirs";
import { rejectedBy } from "../../support/thrown";
import { recordingContext } from "./recording-context";

const tempDir = tempDirs("tablao-not-found");

const render = (exe: string) => ({
  exe,
  exeArgs: "-b -y",
  argsBefore: [],
  blendfile: "/shots/scene.blend",
  args: ["--render-frame", "1"],
});

describe("a program that is not there", () => {
  test("a bare name not on PATH: Go's exec error, and the command line is still logged", async () => {
    const ctx = recordingContext({ which: () => null });
    const err = await rejectedBy(ExecutableNotFound, () =>
      runSubprocess({ argv: ["tablao-missing", "--flag"], ctx }),
    );
    expect(err.message).toBe('exec: "tablao-missing": executable file not found in $PATH');
    expect(ctx.logText()).toContain("going to run:\n\n    tablao-missing --flag");
  });

  test("a path that does not exist, a directory, a file that is not executable", async () => {
    const dir = tempDir();
    const plain = join(dir, "plain");
    writeFileSync(plain, "#!/bin/sh\n");
    chmodSync(plain, 0o644);
    // Even root may not execute a file without any execute bit.
    const cases: [string, string][] = [
      [join(dir, "nothing"), "no such file or directory"],
      [join(plain, "below-a-file"), "no such file or directory"],
      [dir, "permission denied"],
      [plain, "permission denied"],
    ];
    for (const [exe, why] of cases) {
      const err = await rejectedBy(ExecutableNotFound, () =>
        runSubprocess({ argv: [exe], ctx: recordingContext() }),
      );
      expect(err.message).toBe(`fork/exec ${exe}: ${why}`);
    }
  });
});

describe("blender-render without Blender", () => {
  test("not on PATH: names the Manager's blender variable and keeps the exec error", async () => {
    const ctx = recordingContext({ which: () => null });
    const err = await rejectedBy(CommandError, () => blenderRender(render("blender"), ctx));
    expect(err).not.toBeInstanceOf(ExecutableNotFound);
    expect(err.message).toBe(
      `Blender not found: "blender" is not on this worker's PATH. The Manager's "blender" variable ` +
        `decides which Blender workers run: set it (per platform) in the Manager's settings or ` +
        `flamenco-manager.yaml, or put Blender on this worker's PATH. ` +
        `(exec: "blender": executable file not found in $PATH)`,
    );
  });

  test("a path that is not there: says to point the variable at Blender on this worker", async () => {
    const exe = join(tempDir(), "blender-4.2", "blender");
    const { message } = await rejectedBy(CommandError, () => blenderRender(render(exe), recordingContext()));
    expect(message).toStartWith(`Blender not found: "${exe}" is not an executable file on this worker.`);
    expect(message).toContain(`The Manager's "blender" variable decides which Blender workers run`);
    expect(message).toEndWith(`(fork/exec ${exe}: no such file or directory)`);
  });

  test("other failures are left as they are", async () => {
    const err = await rejectedBy(CommandError, () => blenderRender(render("/bin/false"), recordingContext()));
    expect(err.message).toBe("command exited abnormally with code 1");
  });
});

test("frames-to-video without FFmpeg on PATH says how to get it or leave such tasks to others", async () => {
  const ctx = recordingContext({ which: () => null });
  const { message } = await rejectedBy(CommandError, () =>
    framesToVideo({ exe: "ffmpeg", fps: 24, inputGlob: "/out/*.png", outputFile: "/out/a.mp4" }, ctx),
  );
  expect(message).toStartWith(
    'frames-to-video: parameter "exe" has invalid value "ffmpeg": FFmpeg cannot be found on this worker: "ffmpeg" is not on its PATH;',
  );
  expect(message).toContain("apt-get install ffmpeg");
  expect(message).toContain('remove "ffmpeg" from task_types');
});
