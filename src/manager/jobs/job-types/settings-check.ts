// Submission-time checks of job settings against the job type (Tablao addition; Flamenco checks
// nothing): defaults fill missing keys, and every setting is checked against its declared type,
// `choices`, `propargs` limits and `required`; keys the type does not declare are refused. All
// problems of one submission are collected, so the submitter hears of each at once.
import { unknownKeyMessage } from "../../config/unknown-keys";
import { SettingsError, type SettingProblem } from "./errors";
import type { AvailableJobSetting, AvailableJobType } from "./types";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return JSON.stringify(value);
}

/** What is wrong with `value` as the setting's declared type, or null. Unknown types are the script's business. */
function typeProblem(def: AvailableJobSetting, value: unknown): string | null {
  switch (def.type) {
    case "string":
      return typeof value === "string" ? null : `expected a string, got ${describe(value)}`;
    case "int32":
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? null
        : `expected a whole number (int32), got ${describe(value)}`;
    case "float":
      return typeof value === "number" && Number.isFinite(value)
        ? null
        : `expected a number, got ${describe(value)}`;
    case "bool":
      return typeof value === "boolean" ? null : `expected true or false, got ${describe(value)}`;
    default:
      return null;
  }
}

/** `choices` bind strings only (the add-on ignores them elsewhere); `min`/`max` bind numbers. */
function rangeProblem(def: AvailableJobSetting, value: unknown): string | null {
  if (def.type === "string" && def.choices && !def.choices.includes(value as string)) {
    return `expected one of ${def.choices.map((c) => JSON.stringify(c)).join(", ")}, got ${describe(value)}`;
  }
  if ((def.type === "int32" || def.type === "float") && typeof value === "number") {
    const { min, max } = def.propargs ?? {};
    if (typeof min === "number" && value < min) return `expected at least ${min}, got ${value}`;
    if (typeof max === "number" && value > max) return `expected at most ${max}, got ${value}`;
  }
  return null;
}

/**
 * Returns the settings with defaults applied, or throws one SettingsError listing every problem.
 * A key that is absent or `null` counts as missing; an empty string does not (the Blender add-on
 * sends every key, empty ones included). A required setting with an `eval` expression may be
 * missing: the add-on computes it, other clients may leave it to the script. A job type that
 * declares no settings list at all (`settings: null`) has its settings left unchecked.
 */
export function checkJobSettings(
  jobType: Pick<AvailableJobType, "settings">,
  submitted: Record<string, unknown>,
): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...submitted };
  const problems: SettingProblem[] = [];
  const declared = jobType.settings;
  if (declared === null) return settings;
  for (const def of declared) {
    const value = settings[def.key];
    if (value === undefined || value === null) {
      if (def.default !== undefined) settings[def.key] = structuredClone(def.default);
      else if (def.required && !def.eval) problems.push({ setting: def.key, problem: "required" });
      continue;
    }
    const problem = typeProblem(def, value) ?? rangeProblem(def, value);
    if (problem) problems.push({ setting: def.key, problem });
  }
  const known = declared.map((d) => d.key);
  for (const key of Object.keys(submitted)) {
    if (!known.includes(key)) problems.push({ setting: key, problem: unknownKeyMessage(key, known) });
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}
