// The command registry: runs one command of a task by name.
import type { Schemas } from "../client";
import { blenderRender } from "./blender-render";
import { CommandError, type CommandContext, type CommandFn } from "./context";
import { copyFile } from "./copy-file";
import { echo } from "./echo";
import { exec } from "./exec";
import { framesToVideo } from "./frames-to-video";
import { makeDirectory } from "./make-directory";
import { moveDirectory } from "./move-directory";
import { sleep } from "./sleep";

export const COMMANDS: Readonly<Record<string, CommandFn>> = {
  echo,
  sleep,
  exec,
  "blender-render": blenderRender,
  "frames-to-video": framesToVideo,
  "make-directory": makeDirectory,
  "move-directory": moveDirectory,
  "copy-file": copyFile,
};

/** Runs `cmd`; an unknown name fails it, and the failure names the commands this worker knows. */
export async function runCommand(cmd: Schemas["Command"], ctx: CommandContext): Promise<void> {
  const fn = Object.hasOwn(COMMANDS, cmd.name) ? COMMANDS[cmd.name] : undefined;
  if (!fn) {
    throw new CommandError(
      `unknown command: "${cmd.name}" (this worker knows ${Object.keys(COMMANDS).join(", ")})`,
    );
  }
  await fn(cmd.parameters ?? {}, ctx);
}
