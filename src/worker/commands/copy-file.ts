// `copy-file`: copies one file to a new absolute path, creating its folder;
// never overwrites.
import { copyFile as fsCopyFile, constants, mkdir, stat } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { CommandError, type CommandFn } from "./context";
import { pathExists as exists } from "./paths";

export const copyFile: CommandFn = async (parameters, ctx) => {
  const fail = (msg: string): never => {
    ctx.log(`copy-file: ${msg}`);
    throw new CommandError(`copy-file: ${msg}`);
  };
  const src = parameters.src;
  const dest = parameters.dest;
  if (typeof src !== "string" || src === "")
    return fail(`missing or empty "src" parameter: ${JSON.stringify(parameters)}`);
  if (!isAbsolute(src)) return fail(`"src" is not an absolute path: "${src}"`);
  if (!(await exists(src))) return fail(`"src" does not exist: "${src}"`);
  if (typeof dest !== "string" || dest === "")
    return fail(`missing or empty "dest" parameter: ${JSON.stringify(parameters)}`);
  if (!isAbsolute(dest)) return fail(`"dest" is not an absolute path: "${dest}"`);
  if (await exists(dest)) return fail(`"dest" already exists, not overwriting it: "${dest}"`);

  ctx.log(`copy-file: copying "${src}" to "${dest}"`);
  if (!(await stat(src)).isFile()) return fail(`"src" is not a regular file: "${src}"`);
  try {
    await mkdir(dirname(dest), { recursive: true, mode: 0o750 });
    await fsCopyFile(src, dest, constants.COPYFILE_EXCL);
  } catch (err) {
    return fail(`could not copy "${src}" to "${dest}": ${(err as Error).message}`);
  }
  ctx.log(`copy-file: copied "${src}" to "${dest}"`);
};
