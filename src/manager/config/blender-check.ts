// Finding and checking a Blender executable on the Manager's machine: resolve the command (a
// file, a folder holding Blender, or a name on PATH), then run `<exe> --version`.
// Bun-specific (Bun.spawn, Bun.which); handlers receive the probe as a dependency.

import { stat } from "node:fs/promises";
import { join } from "node:path";
import { WINDOWS_PLATFORM } from "../../shared/platform";

/** Blender may start slowly from a network share, hence the generous limit. */
export const BLENDER_VERSION_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND = "blender";
const MACOS_SYSTEM_BLENDER = "/Applications/Blender.app/Contents/MacOS/Blender";
const VERSION_LINE_PREFIX = "Blender ";

export type BlenderPathSource =
  "file_association" | "path_envvar" | "system_location" | "input_path" | "default";

type Outcome =
  { status: "found"; version: string } | { status: "missing" } | { status: "failed"; reason: string };

export type BlenderLookup = {
  /** What the lookup started from. */
  input: string;
  /** The executable that was (or would have been) run; "" when nothing was found. */
  path: string;
  source: BlenderPathSource;
} & Outcome;

/**
 * Looks up `command`: a path (a folder gets the platform's executable name appended), a bare
 * name searched on PATH, or "" to auto-detect. Nothing found or a failing run is a result, never
 * a thrown error.
 */
export type BlenderProbe = (command: string) => Promise<BlenderLookup>;

export interface BlenderProbeOptions {
  /** Environment of the version check, and PATH of the lookup. */
  env: Record<string, string | undefined>;
  /** Go platform name of the Manager. */
  platform: string;
  versionTimeoutMs?: number;
}

function executableName(platform: string): string {
  if (platform === WINDOWS_PLATFORM) return "blender.exe";
  return platform === "darwin" ? "Blender" : "blender";
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

// Only the process itself is awaited against the deadline: a child that Blender (or a wrapper
// script) left behind may keep the pipes open long after.
async function blenderVersion(
  exe: string,
  env: BlenderProbeOptions["env"],
  timeoutMs: number,
): Promise<Outcome> {
  let proc;
  try {
    proc = Bun.spawn([exe, "--version"], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (err) {
    return { status: "failed", reason: (err as Error).message };
  }
  const finished = Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  finished.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((done) => (timer = setTimeout(() => done("timeout"), timeoutMs)));
  try {
    const result = await Promise.race([finished, deadline]);
    if (result === "timeout") {
      proc.kill();
      return { status: "failed", reason: `${exe} --version took longer than ${timeoutMs / 1000} s` };
    }
    const [stdout, stderr, exitCode] = result;
    if (exitCode !== 0)
      return { status: "failed", reason: `${exe} --version exited with status ${exitCode}` };
    const version = `${stdout}\n${stderr}`
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line.startsWith(VERSION_LINE_PREFIX));
    if (version) return { status: "found", version };
    return {
      status: "failed",
      reason: `${exe} is not Blender (its --version output has no "Blender <version>" line)`,
    };
  } catch (err) {
    return { status: "failed", reason: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Windows' `.blend` file association is not consulted (it lives in the registry); there, as on
 * Linux, auto-detection looks for `blender` on PATH. macOS first tries the standard app folder.
 */
export function createBlenderProbe(opts: BlenderProbeOptions): BlenderProbe {
  const timeoutMs = opts.versionTimeoutMs ?? BLENDER_VERSION_TIMEOUT_MS;
  const searchPath = opts.env.PATH ?? opts.env.Path ?? "";

  const run = async (input: string, path: string, source: BlenderPathSource): Promise<BlenderLookup> => ({
    input,
    path,
    source,
    ...(await blenderVersion(path, opts.env, timeoutMs)),
  });

  const probe: BlenderProbe = async (command) => {
    if (command === "") {
      if (opts.platform === "darwin" && (await isFile(MACOS_SYSTEM_BLENDER))) {
        return run(MACOS_SYSTEM_BLENDER, MACOS_SYSTEM_BLENDER, "system_location");
      }
      return probe(DEFAULT_COMMAND);
    }
    if (/[/\\]/.test(command)) {
      let isDirectory: boolean;
      try {
        isDirectory = (await stat(command)).isDirectory();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const base = { input: command, path: "", source: "input_path" } as const;
        if (code === "ENOENT" || code === "ENOTDIR") return { ...base, status: "missing" };
        return { ...base, status: "failed", reason: (err as Error).message };
      }
      const exe = isDirectory ? join(command, executableName(opts.platform)) : command;
      return run(command, exe, "input_path");
    }
    let found: string | null;
    try {
      found = Bun.which(command, { PATH: searchPath });
    } catch (err) {
      // Bun refuses names it cannot search for (e.g. "bin path is too long").
      return {
        input: command,
        path: "",
        source: "path_envvar",
        status: "failed",
        reason: (err as Error).message,
      };
    }
    if (!found) return { input: command, path: "", source: "path_envvar", status: "missing" };
    return run(command, found, "path_envvar");
  };
  return probe;
}
