// Shape, defaults and validation of flamenco-manager.yaml (Flamenco's keys, version 3).
// Anything wrong, an unknown key included, throws one ConfigError listing every problem by key.

import { z } from "zod";
import { isUncPath } from "./crosspath";
import { formatDurationNs, parseDurationNs } from "./durations";
import { ConfigError } from "./errors";
import { canonicalListen, parseListen } from "./listen";
import { knownKeysAt, unknownKeyMessage } from "./unknown-keys";
import ipaddr from "ipaddr.js";
import { WINDOWS_PLATFORM } from "../../shared/platform";
import { ROLES, type Role } from "../auth/roles";
import { FLAMENCO_VERSION_FORMAT } from "../../shared/version";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../../shared/log";
import { WEBHOOK_EVENTS, type WebhookEvent } from "../webhooks/events";
import { WEBHOOK_FORMATS, type WebhookFormat } from "../webhooks/formats";

export const CONFIG_VERSION = 3;
export const DEFAULT_MQTT_CLIENT_ID = "flamenco";
export const IMPLICIT_VARIABLE_NAMES = ["jobs"] as const;
const MQTT_BROKER_PROTOCOLS = ["tcp:", "mqtt:", "mqtts:", "tls:", "ssl:", "ws:", "wss:"];

export type VariableAudienceSetting = "all" | "workers" | "users";

export interface VariableValueDefinition {
  audience: VariableAudienceSetting;
  platform?: string;
  platforms?: string[];
  value: string;
}

export interface VariableDefinition {
  /** Omitted when false, as Flamenco writes it. */
  is_twoway?: boolean;
  values: VariableValueDefinition[];
}

/** The file's content after validation and defaults; durations are canonical Go strings. */
export interface ConfigFile {
  _meta: { version: number };
  manager_name: string;
  database: string;
  database_check_period: string;
  listen: string;
  autodiscoverable: boolean;
  local_manager_storage_path: string;
  shared_storage_path: string;
  shaman: { enabled: boolean; garbageCollect: { period: string; maxAge: string } };
  task_timeout: string;
  worker_timeout: string;
  blocklist_threshold: number;
  task_fail_after_softfail_count: number;
  mqtt: {
    client: {
      enabled: boolean;
      broker: string;
      clientID: string;
      topic_prefix: string;
      username: string;
      password: string;
      /** Tablao addition: events kept while the broker is unreachable. */
      queue_size?: number;
    };
  };
  variables: Record<string, VariableDefinition>;
  /** Tablao addition: who may call the manager API without a token; absent means the defaults. */
  auth?: {
    trusted_networks?: Record<string, Role>;
    trusted_proxies?: string[];
    worker_registration_secret?: string;
  };
  /** Tablao addition: scheduled online backups of the database. */
  backup?: { period?: string; keep?: number; path?: string };
  /** Tablao addition: the version `GET /api/v3/version` reports; absent means DEFAULT_FLAMENCO_VERSION. */
  flamenco_version?: string;
  /** Tablao addition: `json` writes the log as JSON lines; read at start-up. */
  log_format?: LogFormat;
  /** Tablao addition: the least important log messages written; read at start-up. */
  log_level?: LogLevel;
  /** Tablao addition: HTTP notifications of farm events (docs/webhooks.md). */
  webhooks?: WebhookSetting[];
}

/** One entry of `webhooks:`. */
export interface WebhookSetting {
  name: string;
  url: string;
  events: WebhookEvent[];
  format: WebhookFormat;
  secret: string;
  enabled: boolean;
}

export const DEFAULT_VARIABLES = {
  blender: {
    values: [
      { audience: "all", platform: "linux", value: "blender" },
      { audience: "all", platform: "windows", value: "blender.exe" },
      { audience: "all", platform: "darwin", value: "blender" },
    ],
  },
  blenderArgs: { values: [{ audience: "all", platform: "all", value: "-b -y" }] },
} satisfies Readonly<Record<string, VariableDefinition>>;

function describe(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  // Only undefined has no JSON text: parsed data holds no functions or symbols.
  return JSON.stringify(input) ?? typeof input;
}

// Scalar fields are built on z.unknown() so each can say exactly what it expected. They also
// accept the plain-text form, because the YAML loader hands over unquoted scalars as text.
/** One of `values`, refused with the list otherwise (roles, webhook events and formats). */
function oneOf<T extends string>(values: readonly T[]) {
  return z.unknown().transform((input, ctx): T => {
    if ((values as readonly unknown[]).includes(input)) return input as T;
    ctx.addIssue({ code: "custom", message: `expected one of ${values.join(", ")}, got ${describe(input)}` });
    return z.NEVER;
  });
}

function text() {
  return z.unknown().transform((input, ctx) => {
    if (typeof input === "string") return input;
    ctx.addIssue({ code: "custom", message: `expected text, got ${describe(input)}` });
    return z.NEVER;
  });
}

// Flamenco's YAML reader (gopkg.in/yaml.v2) reads YAML 1.1's words as booleans, each written
// all lower case, capitalised or all upper case (`yes`, `Yes`, `YES`; not `yEs`). Only boolean
// settings read them so: in a text setting `yes` stays the text "yes", in Flamenco as here.
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map(
  [
    ...["true", "yes", "y", "on"].map((word) => [word, true] as const),
    ...["false", "no", "n", "off"].map((word) => [word, false] as const),
  ].flatMap(([word, value]) =>
    [word, word[0]?.toUpperCase() + word.slice(1), word.toUpperCase()].map((form) => [form, value] as const),
  ),
);

function flag() {
  return z.unknown().transform((input, ctx) => {
    if (typeof input === "boolean") return input;
    const value = typeof input === "string" ? BOOLEAN_WORDS.get(input) : undefined;
    if (value !== undefined) return value;
    ctx.addIssue({
      code: "custom",
      message: `expected true or false (yes/no, on/off and y/n also work), got ${describe(input)}`,
    });
    return z.NEVER;
  });
}

/** A `listen` address as text; a bare port (also a YAML or JSON number) becomes `:port`. */
function listenAddress() {
  return z.unknown().transform((input, ctx) => {
    const address =
      typeof input === "number" && Number.isSafeInteger(input) && input >= 0 ? String(input) : input;
    if (typeof address !== "string") {
      ctx.addIssue({ code: "custom", message: `expected text or a port number, got ${describe(input)}` });
      return z.NEVER;
    }
    try {
      parseListen(address);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
    return canonicalListen(address);
  });
}

function flamencoVersion() {
  return text().superRefine((version, ctx) => {
    if (FLAMENCO_VERSION_FORMAT.test(version)) return;
    ctx.addIssue({
      code: "custom",
      message: `invalid version ${JSON.stringify(version)} (use a Flamenco version such as 3.8, 3.8.2 or 3.9-beta1: numbers with dots, optionally followed by -alphaN, -betaN or -rcN)`,
    });
  });
}

function wholeNumber(min: number) {
  return z.unknown().transform((input, ctx) => {
    const value = typeof input === "string" && /^[+-]?\d+$/.test(input) ? Number(input) : input;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= min) return value;
    ctx.addIssue({
      code: "custom",
      message: `expected a whole number of at least ${min}, got ${describe(input)}`,
    });
    return z.NEVER;
  });
}

/** A non-negative Go duration, canonicalised (`10m` → `10m0s`). Numbers are refused, as in Flamenco. */
function duration() {
  return z.unknown().transform((input, ctx) => {
    if (typeof input !== "string") {
      ctx.addIssue({
        code: "custom",
        message: `invalid duration ${describe(input)} (must be a string in Go syntax such as 10m0s)`,
      });
      return z.NEVER;
    }
    try {
      const ns = parseDurationNs(input);
      if (ns < 0n) {
        ctx.addIssue({ code: "custom", message: `duration ${JSON.stringify(input)} must not be negative` });
        return z.NEVER;
      }
      return formatDurationNs(ns);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });
}

const variableValueSchema = z
  .strictObject({
    audience: z
      .unknown()
      .transform((input, ctx): VariableAudienceSetting => {
        if (input === "") return "all";
        if (input === "all" || input === "workers" || input === "users") return input;
        ctx.addIssue({ code: "custom", message: `expected all, workers or users, got ${describe(input)}` });
        return z.NEVER;
      })
      .default("all"),
    platform: text().optional(),
    platforms: z.array(text().refine((p) => p !== "", "platform names must not be empty")).optional(),
    value: text().default(""),
  })
  .superRefine((v, ctx) => {
    if (!v.platform && !v.platforms?.length) {
      ctx.addIssue({
        code: "custom",
        message: 'value has no "platform" or "platforms" (use "all" for every platform)',
      });
    }
  });

const variableSchema = z.strictObject({
  is_twoway: flag().default(false),
  values: z.array(variableValueSchema).default([]),
});

const mqttClientSchema = z
  .strictObject({
    enabled: flag().default(false),
    broker: text().default(""),
    clientID: text().default(DEFAULT_MQTT_CLIENT_ID),
    topic_prefix: text().default("flamenco"),
    username: text().default(""),
    password: text().default(""),
    queue_size: wholeNumber(1).optional(),
  })
  .superRefine((client, ctx) => {
    // A disabled client's broker is never used, so it is not worth refusing to start over.
    if (!client.enabled) return;
    const broker = client.broker.trim();
    if (broker === "") {
      ctx.addIssue({ code: "custom", path: ["broker"], message: "required when enabled is true" });
      return;
    }
    if (!URL.canParse(broker) || !MQTT_BROKER_PROTOCOLS.includes(new URL(broker).protocol)) {
      ctx.addIssue({
        code: "custom",
        path: ["broker"],
        message: `invalid broker URL ${JSON.stringify(broker)} (use e.g. tcp://host:1883 or ws://host:9001)`,
      });
    }
  });

function cidr() {
  return z.string().superRefine((s, ctx) => {
    try {
      ipaddr.parseCIDR(s);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `invalid network ${JSON.stringify(s)} (use CIDR such as 10.0.0.0/8 or fd00::/8)`,
      });
    }
  });
}

const authSchema = z.strictObject({
  trusted_networks: z.record(cidr(), oneOf(ROLES)).optional(),
  trusted_proxies: z.array(cidr()).optional(),
  worker_registration_secret: text().optional(),
});

const webhookSchema = z.strictObject({
  name: text()
    .transform((n) => n.trim())
    .refine((n) => n !== "", "must not be empty"),
  url: text().superRefine((url, ctx) => {
    if (!URL.canParse(url) || !["http:", "https:"].includes(new URL(url).protocol)) {
      ctx.addIssue({
        code: "custom",
        message: `invalid URL ${JSON.stringify(url)} (use an http:// or https:// URL)`,
      });
    }
  }),
  events: z.array(oneOf(WEBHOOK_EVENTS)).min(1, "name at least one event"),
  format: oneOf(WEBHOOK_FORMATS).default("json"),
  secret: text().default(""),
  enabled: flag().default(true),
});

const webhooksSchema = z.array(webhookSchema).superRefine((hooks, ctx) => {
  const seen = new Set<string>();
  hooks.forEach((hook, i) => {
    if (seen.has(hook.name)) {
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `another webhook is named ${JSON.stringify(hook.name)}`,
      });
    }
    seen.add(hook.name);
  });
});

const backupSchema = z.strictObject({
  period: duration().optional(),
  keep: wholeNumber(1).optional(),
  path: text().optional(),
});

// `_meta.version` is checked before this schema runs (a different version may mean a different
// shape); the schema only refuses other keys next to it.
const fileSchema = z.strictObject({
  _meta: z.strictObject({ version: z.unknown() }).optional(),
  manager_name: text().default("Flamenco"),
  database: text()
    .transform((s) => s.trim())
    .refine((s) => s !== "", "must not be empty")
    .default("flamenco-manager.sqlite"),
  database_check_period: duration().default("10m0s"),
  listen: listenAddress().default(":8080"),
  autodiscoverable: flag().default(true),
  local_manager_storage_path: text().default("./flamenco-manager-storage"),
  shared_storage_path: text()
    .refine(
      (s) => !isUncPath(s),
      "UNC paths such as \\\\server\\share are not supported; use a mapped drive or mount point",
    )
    .default(""),
  shaman: z
    .strictObject({
      enabled: flag().optional(),
      garbageCollect: z
        .strictObject({ period: duration().default("24h0m0s"), maxAge: duration().default("744h0m0s") })
        .prefault({}),
    })
    .prefault({}),
  task_timeout: duration().default("10m0s"),
  worker_timeout: duration().default("1m0s"),
  blocklist_threshold: wholeNumber(1).default(3),
  task_fail_after_softfail_count: wholeNumber(1).default(3),
  mqtt: z.strictObject({ client: mqttClientSchema.prefault({}) }).prefault({}),
  variables: z
    .record(
      z.string().regex(/^[^{}]+$/, "variable names must be non-empty and contain no { or }"),
      variableSchema,
    )
    .optional(),
  auth: authSchema.optional(),
  backup: backupSchema.optional(),
  flamenco_version: flamencoVersion().optional(),
  log_format: z.enum(LOG_FORMATS).optional(),
  log_level: z.enum(LOG_LEVELS).optional(),
  webhooks: webhooksSchema.optional(),
});

export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  if (issue.code === "invalid_type") {
    const expected =
      issue.expected === "array" ? "a list" : issue.expected === "object" ? "a mapping" : issue.expected;
    return `expected ${expected}, got ${describe(issue.input)}`;
  }
  return issue.message;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkVersion(data: Record<string, unknown>, label: string): void {
  const meta = data._meta;
  const version = isMapping(meta) ? meta.version : undefined;
  if (version === undefined) {
    throw new ConfigError(
      `${label}: _meta.version: missing (this Manager reads version ${CONFIG_VERSION}; add "_meta: {version: ${CONFIG_VERSION}}")`,
      "_meta.version",
    );
  }
  // As text, so that 3 and "3" (an unquoted YAML scalar comes as text) are the same version.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever the file holds is compared by its String() text
  if (String(version) !== String(CONFIG_VERSION)) {
    throw new ConfigError(
      `${label}: _meta.version: unsupported version ${describe(version)} (only version ${CONFIG_VERSION} is supported)`,
      "_meta.version",
    );
  }
}

/** One `key: problem` per line (an unknown key is a problem too), in the order zod found them. */
function problemLines(
  issues: readonly z.core.$ZodIssue[],
  label: string,
): { lines: string[]; firstKey: string } {
  const problems = issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          path: formatKeyPath([...issue.path, key]),
          message: unknownKeyMessage(key, knownKeysAt(fileSchema, issue.path)),
        }))
      : [{ path: formatKeyPath(issue.path), message: issueMessage(issue) }],
  );
  return {
    lines: problems.map((p) => `${label}: ${p.path || "(top level)"}: ${p.message}`),
    firstKey: problems[0]?.path ?? "",
  };
}

function normaliseVariables(
  configured: Record<string, z.output<typeof variableSchema>> | undefined,
  label: string,
  warnings: string[],
): Record<string, VariableDefinition> {
  const merged: Record<string, VariableDefinition> = structuredClone(DEFAULT_VARIABLES);
  for (const [name, variable] of Object.entries(configured ?? {})) {
    if ((IMPLICIT_VARIABLE_NAMES as readonly string[]).includes(name)) {
      warnings.push(`${label}: variables.${name}: ignored, "${name}" is set by the Manager itself`);
      continue;
    }
    const values = variable.values.map((v, i): VariableValueDefinition => {
      if (v.platform && v.platforms?.length) {
        warnings.push(
          `${label}: variables.${name}.values[${i}]: both "platform" and "platforms" given; using both`,
        );
        return { audience: v.audience, platforms: [...v.platforms, v.platform], value: v.value };
      }
      return v.platform
        ? { audience: v.audience, platform: v.platform, value: v.value }
        : { audience: v.audience, platforms: v.platforms, value: v.value };
    });
    merged[name] = variable.is_twoway ? { is_twoway: true, values } : { values };
  }

  const blender = merged.blender;
  if (!blender) {
    warnings.push(`${label}: variables.blender: missing, workers will not be able to run Blender`);
  } else {
    const empty = blender.values
      .filter((v) => v.value === "")
      .flatMap((v) => (v.platform ? [v.platform] : (v.platforms ?? [])));
    if (empty.length > 0) {
      warnings.push(
        `${label}: variables.blender: no value for ${empty.join(", ")}; Blender cannot run there`,
      );
    }
  }
  return merged;
}

/**
 * Validates a parsed configuration document and fills in defaults. `label` prefixes every
 * message (normally the file name); `platform` is the Manager's Go platform name, which
 * decides the Shaman default. Throws ConfigError; returns warnings for the caller to log.
 */
export function validateConfigFile(
  data: unknown,
  opts: { label: string; platform: string },
): { file: ConfigFile; warnings: string[] } {
  const { label } = opts;
  const document = data ?? {};
  if (!isMapping(document)) {
    throw new ConfigError(
      `${label}: expected a mapping of settings at the top level, got ${describe(document)}`,
    );
  }
  checkVersion(document, label);

  const warnings: string[] = [];
  const result = fileSchema.safeParse(document, { reportInput: true });
  if (!result.success) {
    const { lines, firstKey } = problemLines(result.error.issues, label);
    throw new ConfigError(lines.join("\n"), firstKey || undefined);
  }

  const parsed = result.data;
  const file: ConfigFile = {
    ...parsed,
    _meta: { version: CONFIG_VERSION },
    // Shaman needs symlinks, which Windows only grants to some accounts.
    shaman: { ...parsed.shaman, enabled: parsed.shaman.enabled ?? opts.platform !== WINDOWS_PLATFORM },
    variables: normaliseVariables(parsed.variables, label, warnings),
  };
  return { file, warnings };
}
