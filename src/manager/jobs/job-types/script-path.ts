// The `path` module of job-type scripts (Flamenco's crosspath): POSIX path rules, except that a
// backslash also counts as a separator, and results always use forward slashes.

/** Go's path.Clean: resolves "." and "..", collapses repeated "/", drops a trailing "/". */
function cleanPosix(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") out.push(segment);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (!rooted) out.push("..");
  }
  const joined = (rooted ? "/" : "") + out.join("/");
  return joined === "" ? "." : joined;
}

function toSlashes(path: string): string {
  return path.replaceAll("\\", "/");
}

/**
 * Joins and cleans treating only "/" as separator, then turns every "\" into "/": so
 * `join("C:\\a", "b")` is `C:/a/b` and a UNC `\\\\server` prefix survives as `//server`.
 */
export function join(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== "");
  return nonEmpty.length === 0 ? "" : toSlashes(cleanPosix(nonEmpty.join("/")));
}

export function basename(path: string): string {
  const p = toSlashes(path);
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Everything before the last separator, minus one trailing "/", and no other cleaning. */
export function dirname(path: string): string {
  const p = toSlashes(path);
  const lastSlash = p.lastIndexOf("/");
  if (lastSlash < 0) return ".";
  const dir = p.slice(0, lastSlash + 1);
  return dir === "/" ? dir : dir.slice(0, -1);
}

/** The base name without its extension (the suffix from the last "."): `a.tar.gz` → `a.tar`. */
export function stem(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  return dot < 0 ? base : base.slice(0, dot);
}
