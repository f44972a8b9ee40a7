// Loading the Manager configuration: flamenco-manager.yaml (or embedded defaults on a first
// run), then environment overrides, into the typed values the services start from.
//
// Precedence, highest first: environment > file > defaults.
//   TABLAO_LISTEN    replaces `listen` (same syntax: `:8080`, `8080`, `127.0.0.1:8080`, `[::1]:8080`)
//   PORT             replaces only the port (applied after TABLAO_LISTEN)
//   TABLAO_DATABASE  replaces `database`
//   TABLAO_STORAGE   replaces `local_manager_storage_path`
// Relative paths in the file resolve against the file's folder (Flamenco uses the working
// directory and the executable's folder); relative paths from the environment, and from the
// defaults when there is no file, resolve against the working directory.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import YAML from "yaml";
import { parseDuration } from "./durations";
import { ConfigError } from "./errors";
import { parseListen, parsePort, type ListenAddress } from "./listen";
import { ALL_PLATFORMS, goPlatformName } from "../../shared/platform";
import { CONFIG_VERSION, DEFAULT_MQTT_CLIENT_ID, validateConfigFile, type ConfigFile } from "./schema";
import { jobStoragePath } from "./storage";
import { buildVariableTable, type VariableTable } from "./variables";
import type { Role } from "../auth/roles";
import { DEFAULT_FLAMENCO_VERSION } from "../../shared/version";

export const CONFIG_FILE_NAME = "flamenco-manager.yaml";
const SCRIPTS_DIR = "scripts";
// SQLite names that are not files on disk and so must not be made absolute.
const SQLITE_SPECIAL_NAME = /^(:memory:$|file:)/;

export interface MqttSettings {
  enabled: boolean;
  broker: string;
  clientID: string;
  topicPrefix: string;
  username: string;
  password: string;
  /** Events kept while the broker is unreachable; the forwarder's default when absent. */
  queueSize?: number;
}

export interface ManagerConfig {
  /** Absolute path of the file that was read; null when running on embedded defaults. */
  configPath: string | null;
  /** No file, or no shared storage configured yet: the setup assistant should run. */
  isFirstRun: boolean;
  /** The Manager's own platform, Go-style (`linux`, `windows`, `darwin`). */
  platform: string;
  managerName: string;
  /** Reported as the Flamenco version (`shortversion`), which the Blender add-on compares with its own. */
  flamencoVersion: string;
  listen: ListenAddress;
  /** Absolute SQLite path (or `:memory:` / a `file:` URI, passed through). */
  databasePath: string;
  databaseCheckPeriodMs: number;
  autodiscoverable: boolean;
  /** Absolute path of the Manager-local storage (task logs, last-rendered images). */
  storagePath: string;
  /** Absolute shared storage path, or "" when not configured. */
  sharedStoragePath: string;
  /** As configured; the Shaman service also stays off on a first run. */
  shaman: { enabled: boolean; gcPeriodMs: number; gcMaxAgeMs: number };
  taskTimeoutMs: number;
  workerTimeoutMs: number;
  blocklistThreshold: number;
  taskFailAfterSoftfailCount: number;
  mqtt: MqttSettings;
  variables: VariableTable;
  auth: AuthSettings;
  backup: BackupSettings;
  /** Folder for custom job-type scripts. */
  scriptsDir: string;
  /** Problems that did not stop start-up (ignored variables, Blender missing); for the caller to log. */
  warnings: string[];
  /** The file's settings with defaults filled in, as written in YAML (env overrides not applied). */
  raw: ConfigFile;
}

export interface AuthSettings {
  /** Networks whose clients get a role without a token, most specific match wins. */
  trustedNetworks: { network: string; role: Role }[];
  /** Peers whose X-Forwarded-For header is believed; empty means never. */
  trustedProxies: string[];
  /** "" when registration is not guarded by a secret. */
  workerRegistrationSecret: string;
}

export interface BackupSettings {
  /** 0 turns scheduled backups off. */
  periodMs: number;
  keep: number;
  /** Absolute folder the backups are written to. */
  path: string;
}

/**
 * Without `auth.trusted_networks` the Manager trusts what Flamenco's clients need: the machine
 * itself fully, the studio's private networks for jobs and workers, nobody else.
 */
export const DEFAULT_TRUSTED_NETWORKS: Readonly<Record<string, Role>> = {
  "127.0.0.0/8": "admin",
  "::1/128": "admin",
  "10.0.0.0/8": "operator",
  "172.16.0.0/12": "operator",
  "192.168.0.0/16": "operator",
  "169.254.0.0/16": "operator",
  "fc00::/7": "operator",
  "fe80::/10": "operator",
};
export const DEFAULT_BACKUP_PERIOD = "24h0m0s";
export const DEFAULT_BACKUP_KEEP = 7;
export const DEFAULT_BACKUP_DIR = "flamenco-manager-backups";

export interface LoadConfigOptions {
  /** `--config FILE`; relative to `cwd`. Without it `flamenco-manager.yaml` in `cwd` is optional. */
  configPath?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Go platform name of the Manager; defaults to the running OS. */
  platform?: string;
}

/** The configuration as `GET /api/v3/configuration/file` shows it: YAML keys, Go duration strings. */
export function configAsJson(cfg: Pick<ManagerConfig, "raw">): Record<string, unknown> {
  return structuredClone(cfg.raw) as unknown as Record<string, unknown>;
}

/** Reads and validates the configuration; throws ConfigError with a message fit for the user. */
export function loadConfig(opts: LoadConfigOptions): ManagerConfig {
  const platform = opts.platform ?? goPlatformName(process.platform);
  const label = opts.configPath ?? CONFIG_FILE_NAME;
  const path = resolve(opts.cwd, label);

  const text = readConfigText(path, label, opts.configPath !== undefined);
  if (text === null) {
    const { file, warnings } = validateConfigFile(
      { _meta: { version: CONFIG_VERSION } },
      { label, platform },
    );
    return buildManagerConfig(file, {
      configPath: null,
      baseDir: opts.cwd,
      cwd: opts.cwd,
      env: opts.env,
      platform,
      warnings,
    });
  }
  const { file, warnings } = validateConfigFile(parseYaml(text, label), { label, platform });
  return buildManagerConfig(file, {
    configPath: path,
    baseDir: dirname(path),
    cwd: opts.cwd,
    env: opts.env,
    platform,
    warnings,
  });
}

/** File text, or null when the default file is absent (a first run). */
function readConfigText(path: string, label: string, explicit: boolean): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      if (!explicit) return null;
      throw new ConfigError(`${label}: configuration file not found (looked at ${path})`);
    }
    throw new ConfigError(`${label}: cannot read configuration file: ${(err as Error).message}`);
  }
}

/**
 * Parses YAML into plain data. Unquoted numbers and booleans are handed over as their source
 * text (`1.10` stays `1.10` in a string setting); the schema turns them into numbers or flags
 * where it expects those. A key with no value counts as absent, so its default applies.
 */
function parseYaml(text: string, label: string): unknown {
  const doc = YAML.parseDocument(text);
  const [firstError] = doc.errors;
  if (firstError) throw new ConfigError(`${label}: invalid YAML: ${firstError.message.trimEnd()}`);
  YAML.visit(doc, {
    Pair(_key, pair) {
      if (pair.value === null || (YAML.isScalar(pair.value) && pair.value.value === null))
        return YAML.visit.REMOVE;
    },
    Scalar(_key, node) {
      if ((typeof node.value === "number" || typeof node.value === "boolean") && node.source !== undefined) {
        node.value = node.source;
      }
    },
  });
  return doc.toJS();
}

export interface BuildConfigContext {
  configPath: string | null;
  /** Folder that relative paths of the file resolve against. */
  baseDir: string;
  cwd: string;
  env: Record<string, string | undefined>;
  platform: string;
  warnings: string[];
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function fromEnv<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ConfigError(`environment: ${name}: ${(err as Error).message}`, name);
  }
}

function resolveDatabase(value: string, base: string): string {
  return SQLITE_SPECIAL_NAME.test(value) ? value : resolve(base, value);
}

/** Turns a validated file into the typed configuration, applying environment overrides. */
export function buildManagerConfig(file: ConfigFile, ctx: BuildConfigContext): ManagerConfig {
  const { env, cwd, baseDir } = ctx;

  let listen = parseListen(file.listen);
  const listenEnv = envValue(env, "TABLAO_LISTEN");
  if (listenEnv !== undefined) listen = fromEnv("TABLAO_LISTEN", () => parseListen(listenEnv));
  const portEnv = envValue(env, "PORT");
  if (portEnv !== undefined) listen = { ...listen, port: fromEnv("PORT", () => parsePort(portEnv)) };

  const databaseEnv = envValue(env, "TABLAO_DATABASE");
  const storageEnv = envValue(env, "TABLAO_STORAGE");
  const sharedStoragePath = file.shared_storage_path === "" ? "" : resolve(baseDir, file.shared_storage_path);
  const shaman = {
    enabled: file.shaman.enabled,
    gcPeriodMs: parseDuration(file.shaman.garbageCollect.period),
    gcMaxAgeMs: parseDuration(file.shaman.garbageCollect.maxAge),
  };
  const client = file.mqtt.client;

  const implicitVariables = {
    jobs: {
      values: [
        {
          audience: "all" as const,
          platform: ALL_PLATFORMS,
          value: jobStoragePath({ sharedStoragePath, shaman }),
        },
      ],
    },
  };

  return {
    configPath: ctx.configPath,
    isFirstRun: ctx.configPath === null || sharedStoragePath === "",
    platform: ctx.platform,
    managerName: file.manager_name,
    flamencoVersion: file.flamenco_version ?? DEFAULT_FLAMENCO_VERSION,
    listen,
    databasePath:
      databaseEnv !== undefined ? resolveDatabase(databaseEnv, cwd) : resolveDatabase(file.database, baseDir),
    databaseCheckPeriodMs: parseDuration(file.database_check_period),
    autodiscoverable: file.autodiscoverable,
    storagePath:
      storageEnv !== undefined ? resolve(cwd, storageEnv) : resolve(baseDir, file.local_manager_storage_path),
    sharedStoragePath,
    shaman,
    taskTimeoutMs: parseDuration(file.task_timeout),
    workerTimeoutMs: parseDuration(file.worker_timeout),
    blocklistThreshold: file.blocklist_threshold,
    taskFailAfterSoftfailCount: file.task_fail_after_softfail_count,
    mqtt: {
      enabled: client.enabled,
      broker: client.broker.trim(),
      clientID: client.clientID.trim() || DEFAULT_MQTT_CLIENT_ID,
      topicPrefix: client.topic_prefix,
      username: client.username,
      password: client.password,
      ...(client.queue_size !== undefined ? { queueSize: client.queue_size } : {}),
    },
    variables: buildVariableTable(file.variables, implicitVariables),
    auth: {
      trustedNetworks: Object.entries(file.auth?.trusted_networks ?? DEFAULT_TRUSTED_NETWORKS).map(
        ([network, role]) => ({ network, role }),
      ),
      trustedProxies: file.auth?.trusted_proxies ?? [],
      workerRegistrationSecret: file.auth?.worker_registration_secret ?? "",
    },
    backup: {
      periodMs: parseDuration(file.backup?.period ?? DEFAULT_BACKUP_PERIOD),
      keep: file.backup?.keep ?? DEFAULT_BACKUP_KEEP,
      path: resolve(baseDir, file.backup?.path ?? DEFAULT_BACKUP_DIR),
    },
    scriptsDir: join(baseDir, SCRIPTS_DIR),
    warnings: ctx.warnings,
    raw: file,
  };
}
