// Writing flamenco-manager.yaml. A file that exists is edited in place: only the values that
// changed are touched, so the user's comments, key order and spelling of the other values stay
// (new keys go at the end of their section). A first run writes the whole file under a comment
// header. Either way the file is replaced atomically (`<file>~` renamed over it), so a failed
// write never leaves half a file.

import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { dirname, resolve } from "node:path";
import YAML from "yaml";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../../shared/version";
import { ConfigError } from "./errors";
import { CONFIG_FILE_NAME, buildManagerConfig, type ManagerConfig } from "./load";
import type { ConfigFile } from "./schema";

/** Owner-only: the file may hold the MQTT password. */
export const CONFIG_FILE_MODE = 0o600;
const TEMP_FILE_SUFFIX = "~";
const YAML_OUTPUT: YAML.ToStringOptions = { lineWidth: 0 };

/** Where the configuration is written: the file it came from, else `flamenco-manager.yaml` in `cwd`. */
export function configFilePath(cfg: Pick<ManagerConfig, "configPath">, cwd: string): string {
  return cfg.configPath ?? resolve(cwd, CONFIG_FILE_NAME);
}

/** Platform lists read best on one line, as Flamenco's documentation writes them. */
function flowPlatformLists(node: YAML.Node | YAML.Document): void {
  YAML.visit(node, {
    Pair(_key, pair) {
      if (YAML.isScalar(pair.key) && pair.key.value === "platforms" && YAML.isSeq(pair.value))
        pair.value.flow = true;
    },
  });
}

/**
 * The whole file's text, for a first run. Keys keep the order validation gives them (that of
 * the documentation); variables are sorted by name.
 */
export function configFileText(file: ConfigFile, writtenAt: Date): string {
  const variables = Object.fromEntries(
    Object.entries(file.variables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  // Validation appends a defaulted `shaman.enabled`; the documentation lists it first.
  const shaman = { enabled: file.shaman.enabled, garbageCollect: file.shaman.garbageCollect };
  const doc = new YAML.Document({ ...file, shaman, variables });
  flowPlatformLists(doc);
  const header = [
    `# Configuration of ${PRODUCT_NAME}, a Flamenco-compatible render farm Manager.`,
    "# Saving from the web interface changes only the values edited there; comments and key order are kept.",
    `# Written ${writtenAt.toISOString()} by ${PRODUCT_NAME} ${PRODUCT_VERSION}.`,
  ];
  return `${header.join("\n")}\n${doc.toString(YAML_OUTPUT)}`;
}

type KeyPath = string[];
/** `value` undefined: the key goes. */
interface Edit {
  path: KeyPath;
  value: unknown;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What turns `before` into `after`: mappings key by key, lists and scalars as a whole. */
function edits(before: unknown, after: unknown, path: KeyPath = []): Edit[] {
  if (isMapping(before) && isMapping(after)) {
    const changed = Object.keys(after).flatMap((key) =>
      key in before
        ? edits(before[key], after[key], [...path, key])
        : [{ path: [...path, key], value: after[key] }],
    );
    const removed = Object.keys(before)
      .filter((key) => !(key in after))
      .map((key) => ({ path: [...path, key], value: undefined }));
    return [...changed, ...removed];
  }
  return isDeepStrictEqual(before, after) ? [] : [{ path, value: after }];
}

function isScalarValue(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function applyEdit(doc: YAML.Document, { path, value }: Edit): void {
  if (value === undefined) {
    if (doc.hasIn(path)) doc.deleteIn(path);
    return;
  }
  const node = doc.getIn(path, true);
  if (YAML.isScalar(node) && node.value !== null && isScalarValue(value)) {
    // The node itself keeps its comment and quoting style.
    node.value = value;
    return;
  }
  // Below the deepest mapping the path reaches (a key without a value is no mapping), the rest
  // of the path becomes new mappings holding the value.
  let depth = path.length - 1;
  while (depth > 0 && !YAML.isMap(doc.getIn(path.slice(0, depth), true))) depth--;
  const nested = path.slice(depth + 1).reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
  const created = doc.createNode(nested);
  flowPlatformLists(created);
  const replaced = doc.getIn(path.slice(0, depth + 1), true);
  if (YAML.isNode(replaced)) {
    // A comment after `key:` belongs to the value; on a mapping or list it is written before it.
    if (YAML.isCollection(created)) {
      const comments = [replaced.commentBefore, replaced.comment].filter(Boolean);
      created.commentBefore = comments.length > 0 ? comments.join("\n") : undefined;
    } else {
      created.commentBefore = replaced.commentBefore;
      created.comment = replaced.comment;
    }
  }
  doc.setIn(path.slice(0, depth + 1), created);
}

/**
 * The file's text with the changes from `before` to `after` made in place, or null when there is
 * no change (the file stays byte for byte). Throws ConfigError when the text is no longer YAML.
 */
function editedConfigText(text: string, before: ConfigFile, after: ConfigFile, label: string): string | null {
  const doc = YAML.parseDocument(text);
  const [firstError] = doc.errors;
  if (firstError) {
    throw new ConfigError(
      `${label}: the file on disk is no longer valid YAML (${firstError.message.trimEnd()}); fix it by hand, then save again`,
    );
  }
  const changes = edits(before, after);
  if (changes.length === 0) return null;
  const replaced = replacedScalarsText(doc, text, changes);
  if (replaced !== null) return replaced;
  for (const change of changes) applyEdit(doc, change);
  return doc.toString(YAML_OUTPUT);
}

/**
 * When every change puts a new one-line value where one was written, the text with just those
 * values replaced, in their quoting style: the rest of the file stays byte for byte. Null
 * otherwise; then the document is rewritten from its nodes (comments and order stay, spacing
 * may not).
 */
function replacedScalarsText(doc: YAML.Document, text: string, changes: Edit[]): string | null {
  const spans: { start: number; end: number; text: string }[] = [];
  for (const { path, value } of changes) {
    const node = doc.getIn(path, true);
    if (!YAML.isScalar(node) || node.value === null || !node.range || !isScalarValue(value)) return null;
    if (node.type === "BLOCK_FOLDED" || node.type === "BLOCK_LITERAL") return null;
    const scalar = new YAML.Scalar(value);
    scalar.type = node.type;
    const written = new YAML.Document(scalar).toString(YAML_OUTPUT).trimEnd();
    if (written.includes("\n")) return null;
    spans.push({ start: node.range[0], end: node.range[1], text: written });
  }
  spans.sort((a, b) => b.start - a.start);
  return spans.reduce((out, span) => out.slice(0, span.start) + span.text + out.slice(span.end), text);
}

/** Writes `<path>~` (mode 0600, flushed to disk), then renames it over `path`; on failure removes `<path>~`. */
function writeConfigText(path: string, text: string): void {
  const temp = path + TEMP_FILE_SUFFIX;
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

/** Writes the whole file (a first run), atomically. */
export function writeConfigFile(path: string, file: ConfigFile, writtenAt: Date): void {
  writeConfigText(path, configFileText(file, writtenAt));
}

export interface SaveConfigContext {
  cwd: string;
  env: Record<string, string | undefined>;
  writtenAt: Date;
}

/**
 * The configuration `file` would give, for the same platform and environment overrides as at
 * start-up, without writing anything; throws ConfigError when it cannot be built.
 */
export function prepareManagerConfig(
  current: ManagerConfig,
  file: ConfigFile,
  warnings: string[],
  ctx: Omit<SaveConfigContext, "writtenAt">,
): ManagerConfig {
  const path = configFilePath(current, ctx.cwd);
  return buildManagerConfig(file, {
    configPath: path,
    baseDir: dirname(path),
    cwd: ctx.cwd,
    env: ctx.env,
    platform: current.platform,
    warnings,
  });
}

function existingText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * Writes a validated file in place of `current`'s and returns the configuration built from it.
 * An existing file is edited where `file` differs from `current.raw` (what the Manager read
 * from it); without one the whole file is written. Nothing is written when the configuration
 * cannot be built or the file on disk cannot be edited (ConfigError); a write failure throws
 * the fs error.
 */
export function saveManagerConfig(
  current: ManagerConfig,
  file: ConfigFile,
  warnings: string[],
  ctx: SaveConfigContext,
): ManagerConfig {
  const next = prepareManagerConfig(current, file, warnings, ctx);
  const path = configFilePath(current, ctx.cwd);
  const text = existingText(path);
  if (text === null) {
    writeConfigFile(path, file, ctx.writtenAt);
  } else {
    const edited = editedConfigText(text, current.raw, file, path);
    if (edited !== null) writeConfigText(path, edited);
  }
  return next;
}
