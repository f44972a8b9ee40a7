// Configuration variables: the audience → platform → name lookup table, resolving it for one
// audience and platform, expanding task parameters for a worker, and turning submitted paths
// back into two-way variables. Pure functions over the table; order is always deterministic.

import { ensureDriveAbsolute, hasPathPrefix, toPlatform, trimTrailingSeparators } from "./crosspath";
import { ALL_PLATFORMS, WINDOWS_PLATFORM } from "../../shared/platform";
import type { VariableDefinition } from "./schema";

export type Audience = "users" | "workers";
export const AUDIENCES: readonly Audience[] = ["users", "workers"];

export interface VariableTable {
  /** audience → platform (or `all`) → variable name → value. */
  readonly lookup: ReadonlyMap<Audience, ReadonlyMap<string, ReadonlyMap<string, string>>>;
  /** Names of two-way (path) variables. */
  readonly twoWay: ReadonlySet<string>;
}

/** What the variable functions need from the Manager configuration. */
export interface VariableContext {
  readonly variables: VariableTable;
  /** The Manager's own Go platform name; two-way values for it are translated for workers. */
  readonly platform: string;
}

export interface ResolvedVariable {
  value: string;
  is_twoway: boolean;
}

/** Builds the lookup table; later sources and later values win for the same audience+platform. */
export function buildVariableTable(...sources: Record<string, VariableDefinition>[]): VariableTable {
  const lookup = new Map<Audience, Map<string, Map<string, string>>>(AUDIENCES.map((a) => [a, new Map()]));
  const twoWay = new Set<string>();
  for (const source of sources) {
    for (const [name, variable] of Object.entries(source)) {
      if (variable.is_twoway) twoWay.add(name);
      for (const entry of variable.values) {
        // A two-way value is a path prefix; `/render/` must still match `/render/x` as `{render}/x`.
        const value = variable.is_twoway ? trimTrailingSeparators(entry.value) : entry.value;
        const audiences = entry.audience === "all" ? AUDIENCES : [entry.audience];
        const platforms = [...(entry.platform ? [entry.platform] : []), ...(entry.platforms ?? [])];
        for (const audience of audiences) {
          const byPlatform = lookup.get(audience)!;
          for (const platform of platforms) {
            if (!byPlatform.has(platform)) byPlatform.set(platform, new Map());
            byPlatform.get(platform)!.set(name, value);
          }
        }
      }
    }
  }
  return { lookup, twoWay };
}

/** name → value for (audience, platform): `all`-platform values overlaid by platform-specific ones. */
function valuesFor(table: VariableTable, audience: Audience, platform: string): Map<string, string> {
  const byPlatform = table.lookup.get(audience);
  return new Map([...(byPlatform?.get(ALL_PLATFORMS) ?? []), ...(byPlatform?.get(platform) ?? [])]);
}

/** The variables as `GET /api/v3/configuration/variables/{audience}/{platform}` returns them, sorted by name. */
export function resolveVariables(
  ctx: VariableContext,
  audience: Audience,
  platform: string,
): Record<string, ResolvedVariable> {
  const values = [...valuesFor(ctx.variables, audience, platform)].sort(([a], [b]) => compareText(a, b));
  return Object.fromEntries(
    values.map(([name, value]) => [name, { value, is_twoway: ctx.variables.twoWay.has(name) }]),
  );
}

interface PathVariable {
  name: string;
  value: string;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Longest value first, so `/media/shared/flamenco` is tried before `/media/shared`; ties by name. */
function longestFirst(vars: PathVariable[]): PathVariable[] {
  return vars
    .filter((v) => v.value !== "")
    .sort((a, b) => b.value.length - a.value.length || compareText(a.name, b.name));
}

function twoWayValues(table: VariableTable, audience: Audience, platform: string): PathVariable[] {
  return [...valuesFor(table, audience, platform)]
    .filter(([name]) => table.twoWay.has(name))
    .map(([name, value]) => ({ name, value }));
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** Replaces known `{name}` placeholders in one pass; values are not expanded again. */
function fillPlaceholders(
  text: string,
  values: ReadonlyMap<string, string>,
): { text: string; filled: boolean } {
  let filled = false;
  const result = text.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = values.get(name);
    if (value === undefined) return placeholder;
    filled = true;
    return value;
  });
  return { text: result, filled };
}

/** Applies `transform` to every string in a JSON-like value; keys and non-strings stay as they are. */
function mapStrings(value: unknown, transform: (s: string) => string): unknown {
  if (typeof value === "string") return transform(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, transform));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, transform)]));
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Expands every string inside a value; the result has the same shape as the input. */
export type Expander = <T>(value: T) => T;

/**
 * Expansion of task command parameters for a worker on `platform` (audience `workers` unless
 * given): one-way `{name}` placeholders, then two-way ones, then a path that starts with a
 * two-way value of the Manager's own platform is moved onto the worker's value (which is how
 * `{jobs}` reaches other platforms). A string that involved a two-way variable is a path and
 * gets the worker's separators.
 */
export function makeExpander(
  ctx: VariableContext,
  platform: string,
  audience: Audience = "workers",
): Expander {
  const table = ctx.variables;
  const target = valuesFor(table, audience, platform);
  const oneWay = new Map([...target].filter(([name]) => !table.twoWay.has(name)));
  const twoWay = new Map([...target].filter(([name]) => table.twoWay.has(name)));
  const translations = longestFirst(
    twoWayValues(table, audience, ctx.platform).filter((v) => twoWay.has(v.name)),
  );

  const expandString = (input: string): string => {
    const afterOneWay = fillPlaceholders(input, oneWay).text;
    const afterTwoWay = fillPlaceholders(afterOneWay, twoWay);
    let text = afterTwoWay.text;
    let isPath = afterTwoWay.filled;

    const translation = translations.find((v) => hasPathPrefix(text, v.value));
    if (translation) {
      text = twoWay.get(translation.name)! + text.slice(translation.value.length);
      if (platform === WINDOWS_PLATFORM) text = ensureDriveAbsolute(text);
      isPath = true;
    }
    return isPath ? toPlatform(text, platform) : text;
  };

  return <T>(value: T): T => mapStrings(value, expandString) as T;
}

/**
 * Two-way replacement at job submission: a setting (at any depth) or metadata value that starts
 * with a two-way value of the submitter's platform becomes `{name}` + the rest, longest value
 * first, on whole path components. Values for both audiences count, since the submitter may
 * type either the users' or the workers' path to the same storage. Inputs are not modified.
 */
export function replaceTwoWay<S extends Record<string, unknown>>(
  ctx: VariableContext,
  submitterPlatform: string,
  settings: S,
  metadata: Record<string, string>,
): { settings: S; metadata: Record<string, string> } {
  const candidates = longestFirst(
    AUDIENCES.flatMap((a) => twoWayValues(ctx.variables, a, submitterPlatform)),
  );
  const replaceString = (text: string): string => {
    const match = candidates.find((v) => hasPathPrefix(text, v.value));
    return match ? `{${match.name}}${text.slice(match.value.length)}` : text;
  };
  return {
    settings: mapStrings(settings, replaceString) as S,
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, replaceString(value)])),
  };
}
