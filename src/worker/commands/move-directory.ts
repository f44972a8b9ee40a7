// `move-directory`: renames `src` to `dest`; an existing `dest` is first moved
// aside to `<dest>-<its mtime>` (or `<dest>-<mtime>-NNN` when that is taken too).
import { readdir, rename, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { CommandError, type CommandFn } from "./context";
import { CommandParams } from "./params";
import { pathExists as exists } from "./paths";

/** `YYYY-MM-DD_HHMMSS` in local time, rounded to the whole second. */
function mtimeSuffix(mtimeMs: number): string {
  const d = new Date(Math.round(mtimeMs / 1000) * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  );
}

/** Where an existing `dest` goes so that `src` can take its place. */
export async function backupPath(dest: string): Promise<string> {
  const backup = `${dest}-${mtimeSuffix((await stat(dest)).mtimeMs)}`;
  if (!(await exists(backup))) return backup;
  const prefix = `${basename(backup)}-`;
  let max = 0;
  for (const name of await readdir(dirname(backup)).catch(() => [] as string[])) {
    const suffix = name.startsWith(prefix) ? name.slice(prefix.length) : "";
    if (/^\d+$/.test(suffix)) max = Math.max(max, Number(suffix));
  }
  return `${backup}-${String(max + 1).padStart(3, "0")}`;
}

export const moveDirectory: CommandFn = async (parameters, ctx) => {
  const params = new CommandParams("move-directory", parameters);
  const src = params.requiredString("src");
  const dest = params.requiredString("dest");
  const move = async (from: string, to: string) => {
    ctx.log(`move-directory: moving "${from}" to "${to}"`);
    try {
      await rename(from, to);
    } catch (err) {
      const msg = `move-directory: could not move "${from}" to "${to}": ${(err as Error).message}`;
      ctx.log(msg);
      throw new CommandError(msg);
    }
  };

  if (!(await exists(src))) {
    ctx.log(`move-directory: source path "${src}" does not exist, not moving anything`);
    throw params.invalid("src", "path does not exist");
  }
  if (await exists(dest)) await move(dest, await backupPath(dest));
  await move(src, dest);
};
