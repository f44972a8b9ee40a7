import { expect, test } from "bun:test";
import { COMMANDS, runCommand } from "../../../src/worker/commands";
import { CommandError } from "../../../src/worker/commands/context";
import { recordingContext } from "./recording-context";

test("the worker knows Flamenco's commands", () => {
  expect(Object.keys(COMMANDS).sort()).toEqual(
    [
      "blender-render",
      "copy-file",
      "echo",
      "exec",
      "frames-to-video",
      "make-directory",
      "move-directory",
      "sleep",
    ].sort(),
  );
});

test("commands run by name; an unknown name fails clearly", async () => {
  const ctx = recordingContext();
  await runCommand({ name: "echo", parameters: { message: "hi" }, total_step_count: 0 }, ctx);
  expect(ctx.logs).toEqual(['echo: "hi"']);
  const unknown = runCommand({ name: "create-video", parameters: {}, total_step_count: 0 }, ctx);
  await expect(unknown).rejects.toBeInstanceOf(CommandError);
  await expect(
    runCommand({ name: "create-video", parameters: {}, total_step_count: 0 }, ctx),
  ).rejects.toThrow(/^unknown command: "create-video" \(this worker knows echo, sleep/);
  await expect(runCommand({ name: "toString", parameters: {}, total_step_count: 0 }, ctx)).rejects.toThrow(
    /unknown command: "toString"/,
  );
});
