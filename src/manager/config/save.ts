// Writing flamenco-manager.yaml: validated settings as YAML under a comment header, replaced
// atomically (`<file>~` renamed over the file) so a failed write never leaves half a file.

import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import YAML from "yaml";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../../shared/version";
import { CONFIG_FILE_NAME, buildManagerConfig, type ManagerConfig } from "./load";
import type { ConfigFile } from "./schema";

/** Owner-only: the file may hold the MQTT password. */
export const CONFIG_FILE_MODE = 0o600;
const TEMP_FILE_SUFFIX = "~";

/** Where the configuration is written: the file it came from, else `flamenco-manager.yaml` in `cwd`. */
export function configFilePath(cfg: Pick<ManagerConfig, "configPath">, cwd: string): string {
  return cfg.configPath ?? resolve(cwd, CONFIG_FILE_NAME);
}

/**
 * The file's text. Keys keep the order validation gives them (that of the documentation);
 * variables are sorted by name so rewrites produce small diffs.
 */
export function configFileText(file: ConfigFile, writtenAt: Date): string {
  const variables = Object.fromEntries(
    Object.entries(file.variables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  // Validation appends a defaulted `shaman.enabled`; the documentation lists it first.
  const shaman = { enabled: file.shaman.enabled, garbageCollect: file.shaman.garbageCollect };
  const doc = new YAML.Document({ ...file, shaman, variables });
  YAML.visit(doc, {
    Pair(_key, pair) {
      if (YAML.isScalar(pair.key) && pair.key.value === "platforms" && YAML.isSeq(pair.value))
        pair.value.flow = true;
    },
  });
  const header = [
    `# Configuration of ${PRODUCT_NAME}, a Flamenco-compatible render farm Manager.`,
    "# The web interface may rewrite this file: values edited by hand are kept, comments are not.",
    `# Written ${writtenAt.toISOString()} by ${PRODUCT_NAME} ${PRODUCT_VERSION}.`,
  ];
  return `${header.join("\n")}\n${doc.toString({ lineWidth: 0 })}`;
}

/** Writes `<path>~` (mode 0600, flushed to disk), then renames it over `path`; on failure removes `<path>~`. */
export function writeConfigFile(path: string, file: ConfigFile, writtenAt: Date): void {
  const temp = path + TEMP_FILE_SUFFIX;
  const text = configFileText(file, writtenAt);
  try {
    const fd = openSync(temp, "w", CONFIG_FILE_MODE);
    try {
      // A leftover `<path>~` keeps its old mode through open(); set it explicitly.
      fchmodSync(fd, CONFIG_FILE_MODE);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export interface SaveConfigContext {
  cwd: string;
  env: Record<string, string | undefined>;
  writtenAt: Date;
}

/**
 * Writes a validated file in place of `current`'s and returns the configuration built from
 * it, for the same platform and environment overrides as at start-up. Nothing is written when
 * the configuration cannot be built (ConfigError); a write failure throws the fs error.
 */
export function saveManagerConfig(
  current: ManagerConfig,
  file: ConfigFile,
  warnings: string[],
  ctx: SaveConfigContext,
): ManagerConfig {
  const path = configFilePath(current, ctx.cwd);
  const next = buildManagerConfig(file, {
    configPath: path,
    baseDir: dirname(path),
    cwd: ctx.cwd,
    env: ctx.env,
    platform: current.platform,
    warnings,
  });
  writeConfigFile(path, file, ctx.writtenAt);
  return next;
}
