// Between a configuration file (JSON, keyed as in YAML) and the Settings page's form: the text
// a field shows for a value, the value a field's text stands for, and the file with the edited
// fields put in. Kept apart from the view so that the rules can be read in one place.
import type { ConfigJson, SettingInfo } from "./settings-api";

/** What a field holds: text for most kinds, a flag for checkboxes. */
export type FieldValue = string | boolean;

export function valueAt(file: ConfigJson, path: string): unknown {
  let node: unknown = file;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The field's starting content for the value in the file. */
export function fieldValue(setting: SettingInfo, value: unknown): FieldValue {
  if (setting.kind === "boolean") return value === true;
  if (value === undefined) return "";
  if (setting.kind === "json") return JSON.stringify(value, null, 2);
  return typeof value === "string" ? value : JSON.stringify(value);
}

export class FieldError extends Error {}

/** The value a field's content stands for; undefined leaves an optional key out. Throws FieldError. */
export function parseField(setting: SettingInfo, field: FieldValue): unknown {
  if (typeof field === "boolean") return field;
  const text = field.trim();
  if (text === "" && setting.optional) return undefined;
  switch (setting.kind) {
    case "number": {
      if (!/^\d+$/.test(text)) throw new FieldError("expected a whole number");
      return Number(text);
    }
    case "json":
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new FieldError(`not valid JSON: ${(err as Error).message}`);
      }
    default:
      return field;
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `file` with the value at `path` set, or removed when undefined; a new object, `file` untouched. */
export function withValue(file: ConfigJson, path: string, value: unknown): ConfigJson {
  const copy = structuredClone(file);
  const parts = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    const inner: Record<string, unknown> = isMapping(next) ? next : {};
    node = node[part] = inner;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** A value as the diff and the defaults show it. */
export function shownValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}
