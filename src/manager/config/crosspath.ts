// Path text that crosses platforms: a path written on one OS is rewritten for another,
// so `/` and `\` are both separators here whatever OS the Manager runs on.

import { WINDOWS_PLATFORM } from "../../shared/platform";

export function isPathSeparator(ch: string | undefined): boolean {
  return ch === "/" || ch === "\\";
}

export function isUncPath(path: string): boolean {
  return path.startsWith("\\\\");
}

/** Drops trailing separators, but a path made only of separators keeps its first one. */
export function trimTrailingSeparators(path: string): string {
  const trimmed = path.replace(/[/\\]+$/, "");
  return trimmed === "" && path !== "" ? path.charAt(0) : trimmed;
}

/** `F:` → `F:\`, `F:foo` → `F:\foo`: a drive letter alone is not an absolute path on Windows. */
export function ensureDriveAbsolute(windowsPath: string): string {
  if (!/^[A-Za-z]:/.test(windowsPath) || windowsPath[2] === "\\") return windowsPath;
  return `${windowsPath.slice(0, 2)}\\${windowsPath.slice(2)}`;
}

/**
 * Rewrites every separator for `platform`: `\` for windows, `/` elsewhere. Leading separators
 * are kept one for one (so `\\server\share` and `/abs` survive); repeated inner and trailing
 * ones collapse.
 */
export function toPlatform(path: string, platform: string): string {
  if (path === "") return "";
  const leading = /^[/\\]*/.exec(path)![0].length;
  const components = path.split(/[/\\]+/).filter((c) => c !== "");
  const separator = platform === WINDOWS_PLATFORM ? "\\" : "/";
  if (components.length === 0) return separator.repeat(leading);
  const joined = [...Array<string>(leading).fill(""), ...components].join(separator);
  return platform === WINDOWS_PLATFORM ? ensureDriveAbsolute(joined) : joined;
}

/**
 * Whether `path` starts with `prefix` as whole path components. Case and separator style are
 * ignored, since the same share is often typed as `Y:/Shared` and `y:\shared`.
 * Same-length comparison keeps `path.slice(prefix.length)` the exact remainder.
 */
export function hasPathPrefix(path: string, prefix: string): boolean {
  if (prefix === "" || path.length < prefix.length) return false;
  if (foldPath(path.slice(0, prefix.length)) !== foldPath(prefix)) return false;
  return (
    path.length === prefix.length ||
    isPathSeparator(path[prefix.length]) ||
    isPathSeparator(prefix[prefix.length - 1])
  );
}

function foldPath(path: string): string {
  return path.replaceAll("\\", "/").toLowerCase();
}
