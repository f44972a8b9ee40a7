// Handlers of the configuration-editing operations: the configuration file as JSON (read and
// replace), the Settings page's catalog and save (with a dry run and the keys waiting for a
// restart), the setup assistant, and the assistant's checks of shared storage and Blender.
// Paths from clients are checked as text first (400), then on disk (a verdict). The assistant's
// choices are checked again here before they are saved: the client's `is_usable` is not proof.
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import type { Clock } from "../../../shared/clock";
import { ConfigError, DEFAULT_VARIABLES, configAsJson, validateConfigFile } from "../../config";
import type { ConfigFile, ManagerConfig } from "../../config";
import type { BlenderLookup, BlenderProbe } from "../../config/blender-check";
import { prepareManagerConfig, saveManagerConfig } from "../../config/save";
import {
  SETTINGS,
  changedSettings,
  restartPending,
  settingInfo,
  type SettingChange,
} from "../../config/settings-catalog";
import { blenderCommandProblem, malformedPathProblem } from "../../config/path-input";
import { checkSharedStorage } from "../../config/shared-storage-check";
import { errorBody } from "../http";
import type { BlenderPathCheckResult, SetupAssistantConfig } from "../schemas";
import type { Handlers } from "./registry";
import { hideSecretsInValue, hideWebhookSecrets, keepWebhookSecrets } from "../../webhooks/secrets";

/**
 * Flamenco hands the MQTT password to anyone who asks. Tablao shows this placeholder
 * instead, and an update that sends the placeholder back keeps the stored password, so the web
 * app's read-edit-write cycle works without ever seeing the secret.
 */
export const MQTT_PASSWORD_PLACEHOLDER = "<hidden by Tablao>";

const BLENDER_NOT_FOUND_CAUSE = "Blender could not be found";
// Characters that would split or end the command when the worker parses the command line.
const NEEDS_QUOTING = /[\n\t;()]/;
const BLENDER_PLATFORMS = ["linux", "windows", "darwin"] as const;

export interface ConfigHandlerDeps {
  config: () => ManagerConfig;
  /**
   * The configuration the running services were started with, against which keys that need a
   * restart are compared; defaults to the configuration when the handlers are made.
   */
  startedConfig?: ManagerConfig;
  /** Makes `cfg` the configuration in effect; it has already been written to disk. */
  replaceConfig: (cfg: ManagerConfig) => void;
  /** The Manager's working directory: a first run writes `flamenco-manager.yaml` here. */
  cwd: string;
  /** Environment overrides (TABLAO_LISTEN, ...) applied to a replaced configuration, as at start-up. */
  env: Record<string, string | undefined>;
  blender: BlenderProbe;
  clock: Pick<Clock, "now">;
}

type BlenderCheckResult = z.infer<typeof BlenderPathCheckResult>;
type SetupChoices = z.infer<typeof SetupAssistantConfig>;

function hidePassword(file: ConfigFile): ConfigFile {
  const client = file.mqtt.client;
  const shown = hideWebhookSecrets(file, MQTT_PASSWORD_PLACEHOLDER);
  if (client.password === "") return shown;
  return { ...shown, mqtt: { ...file.mqtt, client: { ...client, password: MQTT_PASSWORD_PLACEHOLDER } } };
}

function keepPassword(file: ConfigFile, current: ConfigFile): ConfigFile {
  const client = file.mqtt.client;
  const kept = keepWebhookSecrets(file, current, MQTT_PASSWORD_PLACEHOLDER);
  if (client.password !== MQTT_PASSWORD_PLACEHOLDER) return kept;
  return { ...kept, mqtt: { ...file.mqtt, client: { ...client, password: current.mqtt.client.password } } };
}

/** A change as the page may see it: secrets that are set show as the placeholder. */
function shownChange(change: SettingChange): SettingChange {
  if (change.path === "webhooks") {
    const hide = (value: unknown) => hideSecretsInValue(value, MQTT_PASSWORD_PLACEHOLDER);
    return { ...change, old: hide(change.old), new: hide(change.new) };
  }
  if (settingInfo(change.path)?.kind !== "secret") return change;
  const hide = (value: unknown) =>
    typeof value === "string" && value !== "" ? MQTT_PASSWORD_PLACEHOLDER : value;
  return { ...change, old: hide(change.old), new: hide(change.new) };
}

/** Why the assistant's choices cannot be saved, or null when they can. */
function setupProblem({ storageLocation, blenderExecutable: blender }: SetupChoices): string | null {
  if (storageLocation === "") return "storageLocation must not be empty";
  if (!blender.is_usable) return "the chosen Blender is not usable (is_usable is false)";
  switch (blender.source) {
    case "default":
      return null;
    case "file_association":
      return blender.path === "" ? "path must not be empty for source file_association" : null;
    case "input_path":
    case "path_envvar":
    case "system_location":
      return blender.path === "" || blender.input === ""
        ? `path and input must not be empty for source ${blender.source}`
        : null;
  }
}

/** The command workers will run as `{blender}`. */
function blenderCommand(blender: SetupChoices["blenderExecutable"]): string {
  const command =
    blender.source === "path_envvar"
      ? blender.input // found on PATH, so the name stays portable
      : blender.source === "input_path" || blender.source === "system_location"
        ? blender.path
        : "blender"; // a file association is what workers fall back to for plain `blender`
  // Go-style quoting as Flamenco writes it; JSON string syntax agrees for these characters.
  return NEEDS_QUOTING.test(command) ? JSON.stringify(command) : command;
}

function withSetupChoices(file: ConfigFile, choices: SetupChoices): ConfigFile {
  const command = blenderCommand(choices.blenderExecutable);
  return {
    ...structuredClone(file),
    shared_storage_path: choices.storageLocation,
    variables: {
      ...structuredClone(file.variables),
      // One value per platform, so each is easy to change later.
      blender: {
        values: BLENDER_PLATFORMS.map((platform) => ({ audience: "all", platform, value: command })),
      },
      blenderArgs: structuredClone(DEFAULT_VARIABLES.blenderArgs),
    },
  };
}

/** The command saved for the assistant's choice, unquoted: what a re-check must run. */
function commandToRecheck(blender: SetupChoices["blenderExecutable"]): string | null {
  switch (blender.source) {
    case "default":
    case "file_association":
      return null; // saved as plain `blender`: nothing the client sent reaches the configuration
    case "path_envvar":
      return blender.input;
    case "input_path":
    case "system_location":
      return blender.path;
  }
}

function blenderCheckResult(input: string, lookup: BlenderLookup): BlenderCheckResult {
  const base = { input, path: "", source: lookup.source, is_usable: false };
  switch (lookup.status) {
    case "found":
      return { ...base, path: lookup.path, is_usable: true, cause: `Found ${lookup.version}` };
    case "missing":
      return { ...base, cause: BLENDER_NOT_FOUND_CAUSE };
    case "failed":
      return { ...base, cause: `There was an error running the command: ${lookup.reason}` };
  }
}

export function configHandlers(deps: ConfigHandlerDeps): Handlers {
  const checkStorage = (path: string) => {
    const ownDirs = [deps.cwd, deps.config().storagePath];
    return checkSharedStorage(path, { cwd: deps.cwd, ownDirs });
  };

  /** Why the assistant's choices would not work on this Manager, or null when they would. */
  async function setupUnusable(choices: SetupChoices): Promise<string | null> {
    const storageText = malformedPathProblem(choices.storageLocation);
    if (storageText) return `storageLocation: ${storageText}`;
    const storage = await checkStorage(choices.storageLocation);
    if (!storage.is_usable) return `storageLocation: ${storage.cause}`;

    const command = commandToRecheck(choices.blenderExecutable);
    if (command === null) return null;
    const commandText = blenderCommandProblem(command, deps.config().platform);
    if (commandText) return `blenderExecutable: ${commandText}`;
    const lookup = await deps.blender(command);
    if (lookup.status !== "found") return `blenderExecutable: ${blenderCheckResult(command, lookup).cause}`;
    // A folder finds the Blender inside it, but workers cannot run the folder that would be saved.
    if (choices.blenderExecutable.source !== "path_envvar" && lookup.path !== command) {
      return `blenderExecutable: ${command} is a folder; choose the Blender executable in it (${lookup.path})`;
    }
    return null;
  }

  const started = deps.startedConfig ?? deps.config();

  /** `data` validated like a loaded file, or the 400 answer saying why it is not usable. */
  function validated(c: Context, data: unknown, label: string) {
    try {
      return validateConfigFile(data, { label, platform: deps.config().platform });
    } catch (err) {
      if (err instanceof ConfigError) return c.json(errorBody(400, err.message), 400);
      throw err;
    }
  }

  /**
   * Writes a validated file and makes it the configuration in effect. Returns the error
   * response, or null on success; nothing is written when the configuration cannot be built.
   */
  function write(c: Context, file: ConfigFile, warnings: string[]) {
    try {
      const next = saveManagerConfig(deps.config(), file, warnings, {
        cwd: deps.cwd,
        env: deps.env,
        writtenAt: deps.clock.now(),
      });
      deps.replaceConfig(next);
      return null;
    } catch (err) {
      if (err instanceof ConfigError) return c.json(errorBody(400, err.message), 400);
      return c.json(errorBody(500, `error saving configuration file: ${(err as Error).message}`), 500);
    }
  }

  /** Validates `data`, writes it and makes it the configuration in effect; null on success. */
  function save(c: Context, data: unknown, label: string, fix: (file: ConfigFile) => ConfigFile = (f) => f) {
    const result = validated(c, data, label);
    if (result instanceof Response) return result;
    return write(c, fix(result.file), result.warnings);
  }

  return {
    getConfigurationFile: (c) => c.json(configAsJson({ raw: hidePassword(deps.config().raw) }), 200),

    // Flamenco writes whatever it is sent; here the body must pass the same validation as
    // the file at start-up, and missing keys get their defaults.
    updateConfigurationFile: (c) => {
      const current = deps.config().raw;
      return save(c, c.req.valid("json"), "body", (file) => keepPassword(file, current)) ?? c.body(null, 204);
    },

    fetchTablaoSettings: (c) =>
      c.json(
        {
          settings: [...SETTINGS],
          file: configAsJson({ raw: hidePassword(deps.config().raw) }),
          restart_pending: restartPending(started.raw, deps.config().raw),
        },
        200,
      ),

    updateTablaoSettings: (c) => {
      const dryRun = c.req.valid("query").dry_run === "true";
      const current = deps.config();
      const result = validated(c, c.req.valid("json"), "settings");
      if (result instanceof Response) return result;
      const file = keepPassword(result.file, current.raw);
      const changes = changedSettings(current.raw, file).map(shownChange);
      if (dryRun) {
        try {
          prepareManagerConfig(current, file, result.warnings, { cwd: deps.cwd, env: deps.env });
        } catch (err) {
          if (err instanceof ConfigError) return c.json(errorBody(400, err.message), 400);
          throw err;
        }
      } else {
        const failed = write(c, file, result.warnings);
        if (failed) return failed;
      }
      return c.json(
        {
          saved: !dryRun,
          changes,
          restart_pending: restartPending(started.raw, dryRun ? current.raw : file),
          warnings: result.warnings,
        },
        200,
      );
    },

    saveSetupAssistantConfig: async (c) => {
      const choices = c.req.valid("json");
      const problem = setupProblem(choices);
      if (problem) return c.json(errorBody(400, `configuration is incomplete: ${problem}`), 400);
      const unusable = await setupUnusable(choices);
      if (unusable) return c.json(errorBody(400, `configuration is unusable: ${unusable}`), 400);
      // Flamenco restarts in-process here. Tablao's services read shared storage and variables
      // through the configuration getter on each use, so replacing the configuration is enough.
      return save(c, withSetupChoices(deps.config().raw, choices), "setup assistant") ?? c.body(null, 204);
    },

    checkSharedStoragePath: async (c) => {
      const { path } = c.req.valid("json");
      const malformed = malformedPathProblem(path);
      if (malformed) return c.json(errorBody(400, `body.path: ${malformed}`), 400);
      return c.json(await checkStorage(path), 200);
    },

    findBlenderExePath: async (c) => {
      const lookup = await deps.blender("");
      switch (lookup.status) {
        case "missing":
          return c.json([], 200);
        case "failed":
          return c.json(errorBody(500, `there was an issue finding Blender: ${lookup.reason}`), 500);
        case "found":
          return c.json(
            [
              {
                input: lookup.input,
                path: lookup.path,
                source: lookup.source,
                is_usable: true,
                cause: lookup.version,
              },
            ],
            200,
          );
      }
    },

    checkBlenderExePath: async (c) => {
      const { path } = c.req.valid("json");
      const problem = blenderCommandProblem(path, deps.config().platform);
      if (problem) return c.json(errorBody(400, `body.path: ${problem}`), 400);
      return c.json(blenderCheckResult(path, await deps.blender(path)), 200);
    },
  };
}
