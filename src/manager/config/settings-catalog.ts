// The settings catalog: every key of flamenco-manager.yaml with its group (as the file lays them
// out), a description, its kind of value, its default, and whether a saved change applies to the
// running Manager or waits for a restart. The Settings page is built from it; validation stays
// in the schema (schema.ts). Also what a change is, key by key, and which saved changes still
// wait for a restart.
import { isDeepStrictEqual } from "node:util";
import {
  DEFAULT_BACKUP_DIR,
  DEFAULT_BACKUP_KEEP,
  DEFAULT_BACKUP_PERIOD,
  DEFAULT_TRUSTED_NETWORKS,
} from "./load";
import { MQTT_QUEUE_SIZE } from "../events/forwarders/mqtt";
import { DEFAULT_FLAMENCO_VERSION } from "../../shared/version";
import { CONFIG_VERSION, DEFAULT_MQTT_CLIENT_ID, DEFAULT_VARIABLES, type ConfigFile } from "./schema";

export const SETTING_GROUPS = [
  "General",
  "Storage",
  "Timeouts and failures",
  "Variables",
  "MQTT",
  "Access",
  "Database and backups",
  "Shaman",
  "Notifications",
] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

/**
 * How the value is edited: `json` for mappings and lists edited as a whole (variables, trusted
 * networks), `secret` for text shown hidden, `fixed` for a value the page cannot change.
 */
export const SETTING_KINDS = ["text", "number", "duration", "boolean", "secret", "json", "fixed"] as const;
export type SettingKind = (typeof SETTING_KINDS)[number];

/**
 * `live`: the running Manager uses a saved value at once; `restart`: it is written to the file and
 * used from the next start; `unused`: accepted for Flamenco's sake, without effect.
 */
export const SETTING_APPLIES = ["live", "restart", "unused"] as const;
export type SettingApplies = (typeof SETTING_APPLIES)[number];

export interface SettingInfo {
  /** Dotted key path in the file (`mqtt.client.broker`). */
  path: string;
  group: SettingGroup;
  description: string;
  kind: SettingKind;
  /** The value a file without this key gets; absent where no single value can be named. */
  default?: unknown;
  applies: SettingApplies;
  /** May be left out of the file altogether (Tablao's own keys without a written default). */
  optional: boolean;
  /** Smallest value of a number. */
  min?: number;
}

function setting(
  path: string,
  group: SettingGroup,
  kind: SettingKind,
  applies: SettingApplies,
  description: string,
  extra: { default?: unknown; optional?: boolean; min?: number } = {},
): SettingInfo {
  return { path, group, description, kind, applies, optional: extra.optional ?? false, ...extra };
}

/** In the order of the file and the documentation (docs/configuration.md). */
export const SETTINGS: readonly SettingInfo[] = [
  setting(
    "_meta.version",
    "General",
    "fixed",
    "unused",
    "Format version of the file; this Manager reads 3.",
    {
      default: CONFIG_VERSION,
    },
  ),
  setting(
    "manager_name",
    "General",
    "text",
    "live",
    "Name of this Manager, shown in the dashboard and reported to workers and the Blender add-on.",
    { default: "Flamenco" },
  ),
  setting(
    "flamenco_version",
    "General",
    "text",
    "live",
    "Flamenco version the Manager reports to the Blender add-on and workers. The add-on refuses to submit when it differs from its own version, so set it to the add-on's version (e.g. 3.8).",
    { default: DEFAULT_FLAMENCO_VERSION, optional: true },
  ),
  setting(
    "listen",
    "General",
    "text",
    "restart",
    "Address the web server listens on: a port (:8080) on all interfaces, or host:port. The TABLAO_LISTEN and PORT environment variables win over it.",
    { default: ":8080" },
  ),
  setting(
    "autodiscoverable",
    "General",
    "boolean",
    "restart",
    "Announce the Manager on the local network by UPnP/SSDP, so workers started without a Manager URL find it.",
    { default: true },
  ),
  setting(
    "log_format",
    "General",
    "text",
    "restart",
    "How the Manager writes its log: text (one readable line per message) or json (one JSON object per line, for log collectors).",
    { default: "text", optional: true },
  ),
  setting(
    "log_level",
    "General",
    "text",
    "restart",
    "Least important log messages written: debug (also request-level detail), info (the farm's story: workers and jobs coming and going), warn or error.",
    { default: "info", optional: true },
  ),
  setting(
    "database",
    "Storage",
    "text",
    "restart",
    "SQLite database file, relative to the configuration file's folder. TABLAO_DATABASE wins over it.",
    { default: "flamenco-manager.sqlite" },
  ),
  setting(
    "local_manager_storage_path",
    "Storage",
    "text",
    "restart",
    "Folder for the Manager's own files: task logs and last-rendered images. TABLAO_STORAGE wins over it.",
    { default: "./flamenco-manager-storage" },
  ),
  setting(
    "shared_storage_path",
    "Storage",
    "text",
    "live",
    "Storage every worker can reach, where jobs read and write their files. Empty means the Manager is not set up yet.",
    { default: "" },
  ),
  setting(
    "task_timeout",
    "Timeouts and failures",
    "duration",
    "live",
    "An active task that no worker touched for this long fails. 0s turns task timeouts off.",
    { default: "10m0s" },
  ),
  setting(
    "worker_timeout",
    "Timeouts and failures",
    "duration",
    "live",
    "A worker not heard from for this long goes to the error state and its tasks return to the queue. 0s turns worker timeouts off.",
    { default: "1m0s" },
  ),
  setting(
    "blocklist_threshold",
    "Timeouts and failures",
    "number",
    "live",
    "Failed tasks of one type in one job after which a worker no longer gets that job's tasks of that type.",
    { default: 3, min: 1 },
  ),
  setting(
    "task_fail_after_softfail_count",
    "Timeouts and failures",
    "number",
    "live",
    "Number of different workers that must fail a task before it fails for good.",
    { default: 3, min: 1 },
  ),
  setting(
    "variables",
    "Variables",
    "json",
    "live",
    "Values put in place of {name} in the commands sent to workers, per platform and audience (all, workers, users). Two-way variables also turn submitted paths back into {name}.",
    { default: DEFAULT_VARIABLES },
  ),
  setting("mqtt.client.enabled", "MQTT", "boolean", "live", "Send every event to an MQTT broker as well.", {
    default: false,
  }),
  setting(
    "mqtt.client.broker",
    "MQTT",
    "text",
    "live",
    "Broker URL: tcp://, mqtt://, ssl://, tls://, mqtts://, ws:// or wss://. Needed when MQTT is enabled.",
    { default: "" },
  ),
  setting(
    "mqtt.client.clientID",
    "MQTT",
    "text",
    "live",
    "Client ID the Manager connects with; empty means the default.",
    { default: DEFAULT_MQTT_CLIENT_ID },
  ),
  setting("mqtt.client.topic_prefix", "MQTT", "text", "live", "Put before every topic, e.g. flamenco/jobs.", {
    default: "flamenco",
  }),
  setting("mqtt.client.username", "MQTT", "text", "live", "Sent to the broker when not empty.", {
    default: "",
  }),
  setting(
    "mqtt.client.password",
    "MQTT",
    "secret",
    "live",
    "Sent to the broker when not empty. The page never sees it; leave it as shown to keep it.",
    { default: "" },
  ),
  setting(
    "mqtt.client.queue_size",
    "MQTT",
    "number",
    "live",
    "Events kept while the broker cannot be reached; the oldest are dropped first.",
    { default: MQTT_QUEUE_SIZE, optional: true, min: 1 },
  ),
  setting(
    "auth.trusted_networks",
    "Access",
    "json",
    "live",
    "Networks whose clients get a role without a token, as CIDR → role (viewer, submitter, operator, admin); the most specific wins. {} trusts no network. Left out: this machine is admin, private networks are operator.",
    { default: DEFAULT_TRUSTED_NETWORKS, optional: true },
  ),
  setting(
    "auth.trusted_proxies",
    "Access",
    "json",
    "live",
    "Reverse proxies (CIDRs) whose X-Forwarded-For header names the real client.",
    { default: [], optional: true },
  ),
  setting(
    "auth.worker_registration_secret",
    "Access",
    "secret",
    "live",
    "Lets workers outside an operator network register when they send it.",
    { default: "", optional: true },
  ),
  setting(
    "database_check_period",
    "Database and backups",
    "duration",
    "restart",
    "How often the database's integrity is checked. 0s turns the checks off.",
    { default: "10m0s" },
  ),
  setting(
    "backup.period",
    "Database and backups",
    "duration",
    "restart",
    "How often a backup of the database is written. 0s turns scheduled backups off.",
    { default: DEFAULT_BACKUP_PERIOD, optional: true },
  ),
  setting(
    "backup.keep",
    "Database and backups",
    "number",
    "restart",
    "Backups kept; older ones are deleted.",
    {
      default: DEFAULT_BACKUP_KEEP,
      optional: true,
      min: 1,
    },
  ),
  setting(
    "backup.path",
    "Database and backups",
    "text",
    "restart",
    "Folder for the backups, relative to the configuration file's folder.",
    { default: DEFAULT_BACKUP_DIR, optional: true },
  ),
  setting(
    "shaman.enabled",
    "Shaman",
    "boolean",
    "restart",
    "Runs Shaman, the add-on's upload-once file store, once shared storage is set up; also makes {jobs} point at <shared storage>/jobs (that part applies at once). Default: on, except on Windows.",
  ),
  setting(
    "shaman.garbageCollect.period",
    "Shaman",
    "duration",
    "restart",
    "Time between Shaman's garbage-collection sweeps; 0s turns them off.",
    { default: "24h0m0s" },
  ),
  setting(
    "shaman.garbageCollect.maxAge",
    "Shaman",
    "duration",
    "restart",
    "Uploaded files no checkout uses and older than this are deleted by a sweep.",
    { default: "744h0m0s" },
  ),
  setting(
    "webhooks",
    "Notifications",
    "json",
    "live",
    "Webhooks: HTTP POSTs when jobs complete, fail or pause, workers go offline or into error, or the farm runs idle. Each has name, url, events, format (json, slack, discord, matrix), secret (signs the body) and enabled. See docs/webhooks.md.",
    { default: [], optional: true },
  ),
];

const BY_PATH = new Map(SETTINGS.map((s) => [s.path, s]));

export function settingInfo(path: string): SettingInfo | undefined {
  return BY_PATH.get(path);
}

/** The value at a dotted path of a configuration file; undefined when absent. */
export function settingValue(file: ConfigFile | Record<string, unknown>, path: string): unknown {
  let node: unknown = file;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export interface SettingChange {
  path: string;
  /** undefined: the key was absent. */
  old: unknown;
  new: unknown;
  applies: SettingApplies;
}

/** The catalog's keys whose values differ between two validated files, in catalog order. */
export function changedSettings(before: ConfigFile, after: ConfigFile): SettingChange[] {
  return SETTINGS.flatMap((s) => {
    const old = settingValue(before, s.path);
    const next = settingValue(after, s.path);
    return isDeepStrictEqual(old, next) ? [] : [{ path: s.path, old, new: next, applies: s.applies }];
  });
}

/** Keys needing a restart whose saved value differs from the one the running Manager started with. */
export function restartPending(started: ConfigFile, saved: ConfigFile): string[] {
  return changedSettings(started, saved)
    .filter((c) => c.applies === "restart")
    .map((c) => c.path);
}
