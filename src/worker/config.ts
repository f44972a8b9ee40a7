// Worker configuration (see docs/configuration.md): flamenco-worker.yaml in the working directory, the
// command line, the environment, the credentials file and where the worker keeps its files.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { WorkerCredentials } from "./client";

export const CONFIG_FILENAME = "flamenco-worker.yaml";
export const CREDENTIALS_FILENAME = "flamenco-worker-credentials.yaml";
export const QUEUE_DB_FILENAME = "flamenco-worker.sqlite";
export const DEFAULT_TASK_TYPES: readonly string[] = ["blender", "ffmpeg", "file-management", "misc"];

export class WorkerConfigError extends Error {}

export interface WorkerConfig {
  /** "" means: not configured. */
  managerUrl: string;
  workerName: string;
  taskTypes: string[];
  restartExitCode: number;
  /** Linux only: oom_score_adj given to every child process; null = leave it alone. */
  oomScoreAdjust: number | null;
  /** The Manager's worker registration secret; "" = none (register from a trusted network). */
  registrationSecret: string;
}

export const DEFAULT_WORKER_CONFIG: Readonly<WorkerConfig> = {
  managerUrl: "",
  workerName: "",
  taskTypes: [...DEFAULT_TASK_TYPES],
  restartExitCode: 0,
  oomScoreAdjust: null,
  registrationSecret: "",
};

/** Reads flamenco-worker.yaml; a missing or empty file gives the defaults, unknown keys are ignored. */
export function loadWorkerConfig(path: string): WorkerConfig {
  if (!existsSync(path)) return { ...DEFAULT_WORKER_CONFIG, taskTypes: [...DEFAULT_TASK_TYPES] };
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new WorkerConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined)
    return { ...DEFAULT_WORKER_CONFIG, taskTypes: [...DEFAULT_TASK_TYPES] };
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new WorkerConfigError(`${path}: expected a mapping of keys`);
  const raw = doc as Record<string, unknown>;
  const fail = (key: string, expected: string): never => {
    throw new WorkerConfigError(`${path}: ${key}: expected ${expected}, got ${JSON.stringify(raw[key])}`);
  };
  const str = (key: string): string | undefined => {
    if (raw[key] === undefined || raw[key] === null) return undefined;
    return typeof raw[key] === "string" ? raw[key].trim() : fail(key, "a string");
  };
  const int = (key: string): number | undefined => {
    if (raw[key] === undefined || raw[key] === null) return undefined;
    return Number.isInteger(raw[key]) ? (raw[key] as number) : fail(key, "an integer");
  };
  let taskTypes = [...DEFAULT_TASK_TYPES];
  if (raw.task_types !== undefined && raw.task_types !== null) {
    const list = raw.task_types;
    if (!Array.isArray(list) || !list.every((t) => typeof t === "string"))
      fail("task_types", "a list of strings");
    taskTypes = list as string[];
  }
  return {
    managerUrl: str("manager_url") ?? "",
    workerName: str("worker_name") ?? "",
    taskTypes,
    restartExitCode: int("restart_exit_code") ?? 0,
    oomScoreAdjust: int("oom_score_adjust") ?? null,
    registrationSecret: str("registration_secret") ?? "",
  };
}

/**
 * Where the credentials and the update queue live: $FLAMENCO_HOME (created when missing), else
 * the working directory. Several workers on one machine each need their own.
 */
export function workerHome(env: Record<string, string | undefined>, cwd: string): string {
  const home = env.FLAMENCO_HOME?.trim();
  if (!home) return cwd;
  mkdirSync(home, { recursive: true });
  return home;
}

/** Name precedence: worker_name from the file, then $FLAMENCO_WORKER_NAME, then the host name. */
export function resolveWorkerName(
  config: WorkerConfig,
  env: Record<string, string | undefined>,
  hostname: string,
): string {
  return config.workerName || env.FLAMENCO_WORKER_NAME?.trim() || hostname;
}

/** Where the registration secret may come from instead of flamenco-worker.yaml. */
export const REGISTRATION_SECRET_ENV = "TABLAO_WORKER_REGISTRATION_SECRET";

/** Registration secret precedence: registration_secret from the file, then the environment. */
export function resolveRegistrationSecret(
  config: WorkerConfig,
  env: Record<string, string | undefined>,
): string {
  return config.registrationSecret || env[REGISTRATION_SECRET_ENV]?.trim() || "";
}

/**
 * `-manager` values as Flamenco accepts them: `farm:1234` → `http://farm:1234/`, `farm` →
 * `http://farm/`; full URLs are kept. Also accepts `192.168.1.2:8080`, which Flamenco rejects.
 */
export function normaliseManagerUrl(text: string): string {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new WorkerConfigError(`manager URL ${JSON.stringify(text)} is not a valid URL`);
  }
  if (!url.hostname)
    throw new WorkerConfigError(`manager URL ${JSON.stringify(text)} should contain a host name`);
  return url.href;
}

/** Missing, unreadable or malformed credentials all mean: none (the worker registers anew). */
export function loadCredentials(path: string): WorkerCredentials | null {
  try {
    const doc = parseYaml(readFileSync(path, "utf8")) as Record<string, unknown> | null;
    const workerId = doc?.worker_id;
    const secret = doc?.worker_secret;
    if (typeof workerId !== "string" || typeof secret !== "string" || !workerId || !secret) return null;
    return { workerId, secret };
  } catch {
    return null;
  }
}

/** Written atomically (temp file with mode 0600, then renamed over the old one). */
export function saveCredentials(path: string, creds: WorkerCredentials, now: Date = new Date()): void {
  const header = [
    "# Credentials of this Flamenco-compatible worker (written by the Tablao worker).",
    "# Not meant for hand-editing; deleting this file makes the worker register anew.",
    "# See https://flamenco.blender.org/usage/worker-configuration/",
    "# This file may be overwritten by the worker.",
    `# Written at ${localTimestamp(now)}`,
  ].join("\n");
  const body = stringifyYaml({ worker_id: creds.workerId, worker_secret: creds.secret });
  const temp = `${path}~`;
  writeFileSync(temp, `${header}\n${body}`, { mode: 0o600 });
  renameSync(temp, path);
}

/** `YYYY-MM-DD HH:MM:SS ±HH:MM` in local time. */
function localTimestamp(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}

export interface WorkerArgs {
  version: boolean;
  help: boolean;
  flush: boolean;
  logLevel: "warn" | "info" | "debug";
  manager: string | null;
  restartExitCode: number | null;
  findManager: boolean;
}

const BOOLEAN_FLAGS = ["version", "help", "flush", "quiet", "debug", "trace", "register", "find-manager"];
const VALUE_FLAGS = ["manager", "restart-exit-code"];

/** Go `flag` syntax, as Flamenco's worker: `-name` or `--name`, values as `-name=v` or `-name v`. */
export function parseWorkerArgs(argv: string[]): WorkerArgs {
  const flags = new Map<string, string | true>();
  const rest = [...argv];
  for (let arg = rest.shift(); arg !== undefined; arg = rest.shift()) {
    const [, name, inline] = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg) ?? [];
    if (name === undefined) throw new WorkerConfigError(`unexpected argument ${JSON.stringify(arg)}`);
    if (BOOLEAN_FLAGS.includes(name)) {
      if (inline !== undefined && !["true", "1"].includes(inline)) continue;
      flags.set(name, true);
    } else if (VALUE_FLAGS.includes(name)) {
      const value = inline ?? rest.shift();
      if (value === undefined) throw new WorkerConfigError(`flag -${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new WorkerConfigError(`unknown flag -${name}`);
    }
  }
  let restartExitCode: number | null = null;
  const rec = flags.get("restart-exit-code");
  if (typeof rec === "string") {
    if (!/^-?\d+$/.test(rec))
      throw new WorkerConfigError(`-restart-exit-code: expected an integer, got ${JSON.stringify(rec)}`);
    restartExitCode = Number(rec);
  }
  const manager = flags.get("manager");
  return {
    version: flags.has("version"),
    help: flags.has("help"),
    flush: flags.has("flush"),
    logLevel: flags.has("trace") || flags.has("debug") ? "debug" : flags.has("quiet") ? "warn" : "info",
    manager: typeof manager === "string" ? normaliseManagerUrl(manager) : null,
    restartExitCode: restartExitCode === 0 ? null : restartExitCode,
    findManager: flags.has("find-manager"),
  };
}

/** The paths of the worker's own files inside its home. */
export function workerFiles(home: string) {
  return { credentials: join(home, CREDENTIALS_FILENAME), queueDb: join(home, QUEUE_DB_FILENAME) };
}
