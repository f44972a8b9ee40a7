// Turns a script's JOB_TYPE (already exported to plain data inside the sandbox) into an
// AvailableJobType the way Flamenco's goja conversion does: known properties only, strings via
// String(), booleans via truthiness, and a value that cannot be converted invalidates the type.
import { computeEtag } from "./etag";
import type { AvailableJobSetting, AvailableJobType } from "./types";

export class InvalidJobTypeError extends Error {}

type Plain = Record<string, unknown>;

function isObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `undefined`/`null` mean absent, as goja exports both to nil. */
function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function str(v: unknown): string {
  return present(v) ? String(v) : "";
}

function convertSetting(raw: unknown, index: number): AvailableJobSetting {
  if (!isObject(raw)) throw new InvalidJobTypeError(`settings[${index}] is not an object`);
  const where = `setting "${str(raw.key)}"`;
  const setting: AvailableJobSetting = { key: str(raw.key), type: str(raw.type) };
  if (present(raw.choices)) {
    if (!Array.isArray(raw.choices))
      throw new InvalidJobTypeError(`${where}: choices must be an array of strings`);
    setting.choices = raw.choices.map(str);
  }
  if (present(raw.default)) setting.default = raw.default;
  if (present(raw.description)) setting.description = raw.description;
  if (present(raw.editable)) setting.editable = Boolean(raw.editable);
  if (present(raw.eval)) setting.eval = str(raw.eval);
  if (present(raw.evalInfo)) {
    if (!isObject(raw.evalInfo)) throw new InvalidJobTypeError(`${where}: evalInfo must be an object`);
    setting.evalInfo = {
      showLinkButton: Boolean(raw.evalInfo.showLinkButton),
      description: str(raw.evalInfo.description),
    };
  }
  if (present(raw.label)) setting.label = raw.label;
  if (present(raw.propargs)) {
    if (!isObject(raw.propargs)) throw new InvalidJobTypeError(`${where}: propargs must be an object`);
    setting.propargs = raw.propargs;
  }
  if (present(raw.required)) setting.required = Boolean(raw.required);
  if (present(raw.subtype)) setting.subtype = str(raw.subtype);
  if (present(raw.visible)) setting.visible = str(raw.visible);
  return setting;
}

/** Throws InvalidJobTypeError when JOB_TYPE is not usable; the etag is computed here. */
export function toAvailableJobType(name: string, exported: unknown): AvailableJobType {
  if (!isObject(exported)) throw new InvalidJobTypeError("JOB_TYPE is not an object");
  let settings: AvailableJobSetting[] | null = null;
  if (present(exported.settings)) {
    if (!Array.isArray(exported.settings)) throw new InvalidJobTypeError("JOB_TYPE.settings is not an array");
    settings = exported.settings.map(convertSetting);
  }
  const jobType: Omit<AvailableJobType, "etag"> = { name, label: str(exported.label), settings };
  if (present(exported.description)) jobType.description = str(exported.description);
  let etag: string;
  try {
    etag = computeEtag(jobType);
  } catch (err) {
    throw new InvalidJobTypeError(`JOB_TYPE cannot be serialised: ${(err as Error).message}`);
  }
  return { ...jobType, etag };
}
