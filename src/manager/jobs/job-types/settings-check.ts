// Submission-time checks of job settings against the job type (Tablao addition; Flamenco checks
// nothing): defaults fill missing keys, `required` and `choices` are enforced.
import { SettingsError } from "./errors";
import type { AvailableJobType } from "./types";

/** Setting types whose values are scalars; an object or array there is an obvious mistake. */
const SCALAR_TYPES = new Set(["string", "int32", "float", "bool"]);

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : Array.isArray(value) ? "an array" : typeof value;
}

/**
 * Returns the settings with defaults applied. A key that is absent or `null` counts as missing;
 * an empty string does not (the Blender add-on sends every key, empty ones included), and
 * numbers or strings of the "wrong" scalar type pass (scripts coerce them like Flamenco does).
 */
export function checkJobSettings(
  jobType: Pick<AvailableJobType, "settings">,
  submitted: Record<string, unknown>,
): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...submitted };
  for (const def of jobType.settings ?? []) {
    const value = settings[def.key];
    if (value === undefined || value === null) {
      if (def.default !== undefined) settings[def.key] = structuredClone(def.default);
      else if (def.required) throw new SettingsError(def.key, `setting "${def.key}" is required`);
      continue;
    }
    if (SCALAR_TYPES.has(def.type) && typeof value === "object") {
      throw new SettingsError(def.key, `setting "${def.key}" must be a ${def.type}, not ${describe(value)}`);
    }
    if (def.type === "string" && def.choices && !def.choices.includes(value as string)) {
      const allowed = def.choices.map((c) => JSON.stringify(c)).join(", ");
      throw new SettingsError(
        def.key,
        `setting "${def.key}" must be one of ${allowed}, not ${describe(value)}`,
      );
    }
  }
  return settings;
}
