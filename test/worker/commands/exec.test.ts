import { expect, test } from "bun:test";
import { exec } from "../../../src/worker/commands/exec";
import { recordingContext } from "./recording-context";

test("exec runs the program with its arguments (numbers as text) and logs its output", async () => {
  const ctx = recordingContext();
  await exec({ exe: "/bin/echo", args: ["frame", 24, true] }, ctx);
  expect(ctx.logText()).toMatch(/pid=\d+ > frame 24 true\n/);
});

test("exec fails on a non-zero exit and on a missing exe", async () => {
  await expect(exec({ exe: "/bin/false" }, recordingContext())).rejects.toThrow(
    "exited abnormally with code 1",
  );
  await expect(exec({ exe: "" }, recordingContext())).rejects.toThrow('mandatory parameter "exe" is missing');
});
