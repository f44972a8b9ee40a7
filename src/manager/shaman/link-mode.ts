// How checkouts point at stored files. Relative symbolic links, as Flamenco does, wherever the
// file system allows them; where it does not (Windows shares, some SMB and NFS mounts), hard
// links, and where those fail too, copies. Found out once at start-up by trying each in the
// file store itself (checkouts live on the same storage).
import { copyFile, link, lstat, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";

export type LinkMode = "symlink" | "hardlink" | "copy";

/** Makes `linkPath` show the contents of `blob` the way `mode` says. */
export async function placeFile(mode: LinkMode, blob: string, linkPath: string, symlinkTarget: string) {
  if (mode === "symlink") await symlink(symlinkTarget, linkPath);
  else if (mode === "hardlink") await link(blob, linkPath);
  else await copyFile(blob, linkPath);
}

/** The first mode that works in `dir` (created if needed): symbolic links, hard links, else copies. */
export async function detectLinkMode(dir: string): Promise<LinkMode> {
  const probe = join(dir, `.link-probe-${randomUUID()}`);
  await mkdir(probe, { recursive: true, mode: 0o777 });
  try {
    const source = join(probe, "source");
    await writeFile(source, "probe");
    if (await works(() => symlink("source", join(probe, "symlink")), join(probe, "symlink"), true))
      return "symlink";
    if (await works(() => link(source, join(probe, "hardlink")), join(probe, "hardlink"), false))
      return "hardlink";
    return "copy";
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

async function works(make: () => Promise<void>, made: string, symbolic: boolean): Promise<boolean> {
  try {
    await make();
    return (await lstat(made)).isSymbolicLink() === symbolic;
  } catch {
    return false;
  }
}
