// Checks of path text that clients send to be looked at on the Manager's machine (the setup
// assistant's Blender and shared-storage checks, and its save), before it reaches the file
// system or a process: text that is no path at all is refused up front, so the checks behind
// never meet it and the client gets a 400 naming the problem instead of an error from deep down.
import { posix, win32 } from "node:path";
import { WINDOWS_PLATFORM } from "../../shared/platform";

/**
 * Far above real install and share paths (Windows' classic limit is 260), and below Linux's
 * PATH_MAX of 4096 bytes, where system calls start failing with ENAMETOOLONG.
 */
export const PATH_INPUT_MAX_CHARS = 1024;

// NUL cannot be passed to the OS at all; the other control characters have no business in a
// path and would break the worker's command line or a log line.
const CONTROL_CHAR = /[\u0000-\u001f\u007f]/;

/** Why `path` cannot be path text (too long, control characters), or null when it can. */
export function malformedPathProblem(path: string): string | null {
  if (path.length > PATH_INPUT_MAX_CHARS)
    return `longer than the limit of ${PATH_INPUT_MAX_CHARS} characters`;
  const control = CONTROL_CHAR.exec(path);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase();
    return `contains the control character U+${code}, which no usable path contains`;
  }
  return null;
}

const hasSeparator = (command: string) => /[/\\]/.test(command);

/**
 * Why `command` cannot name a Blender to run, or null when it can: it must be "" (look for
 * Blender), a bare command name (searched on PATH), or an absolute path on the Manager's
 * `platform`. A relative path would depend on the Manager's working directory, which workers
 * and a restarted Manager do not share.
 */
export function blenderCommandProblem(command: string, platform: string): string | null {
  const malformed = malformedPathProblem(command);
  if (malformed) return malformed;
  if (command === "" || !hasSeparator(command)) return null;
  const isAbsolute = platform === WINDOWS_PLATFORM ? win32.isAbsolute : posix.isAbsolute;
  if (isAbsolute(command)) return null;
  return `"${command}" is neither an absolute path nor a bare command name (such as "blender")`;
}
