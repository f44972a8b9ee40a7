// Where job-type scripts and their helper modules come from: the on-disk scripts folder first,
// then the built-in scripts, with Flamenco's discovery and CommonJS lookup rules.
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { compareUtf8 } from "./etag";

/** The scripts shipped with Tablao, read from disk next to this module. */
export const BUILTIN_SCRIPTS_DIR = join(import.meta.dir, "scripts");

/** Files smaller than this are not job types (Flamenco skips them, e.g. empty placeholders). */
const MIN_SCRIPT_BYTES = 8;

export interface ScriptRoots {
  /** On-disk override folder; null when not configured. */
  scriptsDir: string | null;
  builtinDir: string;
}

export interface ScriptFile {
  /** Path relative to its root, with "/" separators: the name shown in errors and stack traces. */
  id: string;
  path: string;
  /** Changes whenever the file's content may have changed (used for caching and quarantine). */
  identity: string;
}

export interface JobTypeScript extends ScriptFile {
  jobType: string;
}

function rootsInOrder(roots: ScriptRoots): string[] {
  return roots.scriptsDir ? [roots.scriptsDir, roots.builtinDir] : [roots.builtinDir];
}

function identityOf(path: string, st: { mtimeMs: number; size: number; ino: number }): string {
  return `${path}\0${st.mtimeMs}\0${st.size}\0${st.ino}`;
}

/** `simple_blender_render.js` → `simple-blender-render`; `my_job.v2.js` → `my-job.v2`. */
export function jobTypeNameOf(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  return (dot < 0 ? fileName : fileName.slice(0, dot)).replaceAll("_", "-");
}

function scanRoot(root: string, warn: (msg: string) => void): Map<string, JobTypeScript> {
  const found = new Map<string, JobTypeScript>();
  let entries;
  try {
    if (!statSync(root).isDirectory()) return found;
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      warn(`cannot read job-type scripts in ${root}: ${(err as Error).message}`);
    return found;
  }
  // Later names win when two files map to the same job type, as in Flamenco.
  const names = entries.filter((e) => e.isFile() && e.name.endsWith(".js")).map((e) => e.name);
  for (const name of names.sort(compareUtf8)) {
    const path = posix.join(root, name);
    let st;
    try {
      st = lstatSync(path);
    } catch (err) {
      warn(`cannot read job-type script ${path}: ${(err as Error).message}`);
      continue;
    }
    if (st.size < MIN_SCRIPT_BYTES) continue;
    const jobType = jobTypeNameOf(name);
    found.set(jobType, { jobType, id: name, path, identity: identityOf(path, st) });
  }
  return found;
}

/** All job-type scripts by job-type name; on-disk scripts override built-in ones of the same name. */
export function discoverJobTypeScripts(
  roots: ScriptRoots,
  warn: (msg: string) => void,
): Map<string, JobTypeScript> {
  const merged = new Map<string, JobTypeScript>();
  for (const root of rootsInOrder(roots)) {
    for (const [name, script] of scanRoot(root, warn)) if (!merged.has(name)) merged.set(name, script);
  }
  return merged;
}

/** A file by its id, looked up in the roots in priority order. */
export function findFile(roots: ScriptRoots, id: string): ScriptFile | undefined {
  for (const root of rootsInOrder(roots)) {
    const path = posix.join(root, id);
    try {
      const st = statSync(path);
      if (st.isFile()) return { id, path, identity: identityOf(path, st) };
    } catch {
      // Not in this root; try the next one.
    }
  }
  return undefined;
}

export class ModuleNotFoundError extends Error {}

/** A relative id that stays inside the roots, or undefined for "../" escapes. */
function confined(id: string): string | undefined {
  const clean = posix.normalize(id);
  return clean === ".." || clean.startsWith("../") ? undefined : clean;
}

function resolveAsFile(roots: ScriptRoots, id: string): string | undefined {
  return [id, `${id}.js`, `${id}.json`].find((candidate) => findFile(roots, candidate));
}

function resolveAsDirectory(roots: ScriptRoots, id: string): string | undefined {
  const pkg = findFile(roots, posix.join(id, "package.json"));
  if (pkg) {
    let main: unknown;
    try {
      main = (JSON.parse(readFileSync(pkg.path, "utf8")) as { main?: unknown }).main;
    } catch (err) {
      throw new ModuleNotFoundError(`invalid ${pkg.id}: ${(err as Error).message}`);
    }
    const mainId = typeof main === "string" && main !== "" ? confined(posix.join(id, main)) : undefined;
    if (mainId) {
      const viaMain = resolveAsFile(roots, mainId) ?? resolveIndex(roots, mainId);
      if (viaMain) return viaMain;
    }
  }
  return resolveIndex(roots, id);
}

function resolveIndex(roots: ScriptRoots, id: string): string | undefined {
  return [posix.join(id, "index.js"), posix.join(id, "index.json")].find((candidate) =>
    findFile(roots, candidate),
  );
}

/**
 * CommonJS lookup over the script roots (goja_nodejs rules): "./x" and "../x" relative to the
 * requiring module's folder, bare names in node_modules folders from there up to the root;
 * each tried as P, P.js, P.json, P/package.json#main, P/index.js, P/index.json.
 */
export function resolveModule(roots: ScriptRoots, fromDir: string, request: string): string {
  const notFound = () => new ModuleNotFoundError(`cannot find module "${request}"`);
  if (request === "" || request.startsWith("/") || /^[A-Za-z]:[\\/]/.test(request)) throw notFound();
  const relative =
    request === "." || request === ".." || request.startsWith("./") || request.startsWith("../");
  const bases: (string | undefined)[] = [];
  if (relative) bases.push(confined(posix.join(fromDir || ".", request)));
  else {
    for (let dir = fromDir; ; dir = posix.dirname(dir)) {
      const base = dir === "" || dir === "." ? "" : dir;
      bases.push(confined(posix.join(base, "node_modules", request)));
      if (base === "") break;
    }
  }
  for (const base of bases) {
    if (base === undefined || base === ".") continue;
    const found = resolveAsFile(roots, base) ?? resolveAsDirectory(roots, base);
    if (found) return found;
  }
  throw notFound();
}
