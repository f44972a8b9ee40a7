// `make-directory`: creates a directory and its parents; existing is fine.
import { mkdir } from "node:fs/promises";
import { CommandError, type CommandFn } from "./context";
import { CommandParams } from "./params";

export const makeDirectory: CommandFn = async (parameters, ctx) => {
  const path = new CommandParams("make-directory", parameters).requiredString("path");
  ctx.log(`make-directory: creating directory "${path}"`);
  try {
    await mkdir(path, { recursive: true, mode: 0o775 });
  } catch (err) {
    const msg = `make-directory: could not create directory "${path}": ${(err as Error).message}`;
    ctx.log(msg);
    throw new CommandError(msg);
  }
};
