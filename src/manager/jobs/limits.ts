// Size limits of submitted jobs, in one place: the wire schemas (src/manager/api/schemas/jobs.ts)
// enforce the lengths, `checkSubmissionSize` the serialized sizes. The values are far above what
// a studio sends (the Blender add-on's settings are file paths and frame ranges: a few hundred
// bytes to a few KiB) and far below what would strain the database, the event stream or the
// dashboard, which all carry the job as JSON.
import { badRequest } from "../errors";

const KiB = 1024;
const MiB = 1024 * KiB;

export const JOB_NAME_MAX_CHARS = 1024;
/** Job-type names are identifiers such as `simple-blender-render`. */
export const JOB_TYPE_NAME_MAX_CHARS = 256;
export const WORKER_TAG_NAME_MAX_CHARS = 256;
/** `settings` as JSON, UTF-8 encoded. */
export const JOB_SETTINGS_MAX_BYTES = 1 * MiB;
/**
 * `metadata` as JSON, UTF-8 encoded. This bounds the number of entries and the length of keys and
 * values together, so they need no limits of their own.
 */
export const JOB_METADATA_MAX_BYTES = 64 * KiB;
/** The whole submission as JSON: also bounds the fields without a limit of their own. */
export const SUBMITTED_JOB_MAX_BYTES = 2 * MiB;

/** "1 MiB", "64 KiB" or "100 bytes", as the limits are written in messages and docs. */
export function describeBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

export const tooLongMessage = (maxChars: number) => `longer than the limit of ${maxChars} characters`;

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");

/**
 * Throws a 400 naming the first part of the submission that is larger than its limit. Checked
 * before anything else is done with the job, so an oversized one is never compiled or stored.
 */
export function checkSubmissionSize(job: { settings?: unknown; metadata?: unknown }): void {
  const parts: [string, unknown, number][] = [
    ["settings", job.settings, JOB_SETTINGS_MAX_BYTES],
    ["metadata", job.metadata, JOB_METADATA_MAX_BYTES],
    ["job", job, SUBMITTED_JOB_MAX_BYTES],
  ];
  for (const [what, value, maxBytes] of parts) {
    if (value === undefined) continue;
    const bytes = jsonBytes(value);
    if (bytes > maxBytes) {
      throw badRequest(
        `${what}: larger than the limit of ${describeBytes(maxBytes)} (${bytes} bytes as JSON)`,
      );
    }
  }
}
