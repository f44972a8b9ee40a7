// Errors of the job-type engine, and their plain-data form for the trip back from the worker thread.

export type JobTypeErrorCode = "unknown-job-type" | "script-error" | "timeout";

/** A job type that does not exist, or a script that failed, timed out or produced an unusable job. */
export class JobTypeError extends Error {
  override name = "JobTypeError";
  constructor(
    readonly code: JobTypeErrorCode,
    /** Script file name (relative to its scripts folder); undefined only for an unknown job type. */
    readonly file: string | undefined,
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** One setting that breaks its job type's rules, and how. */
export interface SettingProblem {
  setting: string;
  problem: string;
}

/** Submitted settings that break their job type's rules: every problem found, in one error. */
export class SettingsError extends Error {
  override name = "SettingsError";
  constructor(readonly problems: readonly SettingProblem[]) {
    super(problems.map((p) => `${p.setting}: ${p.problem}`).join("; "));
  }
}

export type SerializedError =
  | {
      kind: "job-type";
      code: JobTypeErrorCode;
      file: string | undefined;
      line: number | undefined;
      message: string;
    }
  | { kind: "settings"; problems: SettingProblem[] };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof SettingsError) return { kind: "settings", problems: [...err.problems] };
  if (err instanceof JobTypeError) {
    return { kind: "job-type", code: err.code, file: err.file, line: err.line, message: err.message };
  }
  const text = err instanceof Error ? err.message : String(err);
  return {
    kind: "job-type",
    code: "script-error",
    file: undefined,
    line: undefined,
    message: `job-type engine failure: ${text}`,
  };
}

export function deserializeError(e: SerializedError): JobTypeError | SettingsError {
  return e.kind === "settings"
    ? new SettingsError(e.problems)
    : new JobTypeError(e.code, e.file, e.line, e.message);
}
