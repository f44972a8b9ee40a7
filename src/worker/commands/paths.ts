// File checks shared by the file commands.
import { stat } from "node:fs/promises";

/** Like Flamenco: anything but "not found" (permission errors included) counts as existing. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}
