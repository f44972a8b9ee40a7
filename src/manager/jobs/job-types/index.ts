// Job types: the registry the rest of Tablao uses to list job types and compile submissions.
// Scripts run in a worker thread (see worker-client.ts), so the HTTP server keeps serving.
import { randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../../../shared/clock";
import { createLogger } from "../../../shared/log";
import { SCRIPT_TIMEOUT_MS } from "./limits";
import type { AvailableJobType, CompiledJob, SubmittedJobInput } from "./types";
import { ScriptWorkerClient } from "./sandbox-thread-client";

export { JobTypeError, SettingsError, type JobTypeErrorCode, type SettingProblem } from "./errors";
export { checkJobSettings } from "./settings-check";
export { SCRIPT_TIMEOUT_MS } from "./limits";
export type * from "./types";

export interface JobTypeRegistry {
  /** All usable job types sorted by name; broken scripts are left out (and logged). */
  list(): Promise<AvailableJobType[]>;
  /** Throws JobTypeError: `unknown-job-type`, or `script-error`/`timeout` for a broken script. */
  get(name: string): Promise<AvailableJobType>;
  /** Checks settings (SettingsError) and runs the script's compileJob (JobTypeError). */
  compile(input: SubmittedJobInput): Promise<CompiledJob>;
  /** Terminates the worker thread; pending and later calls reject. */
  close(): void;
}

export interface JobTypeRegistryOptions {
  /** On-disk scripts folder that overrides and extends the built-in job types; null for built-ins only. */
  scriptsDir: string | null;
  timeoutMs?: number;
  log?: (level: "info" | "warn", msg: string) => void;
  /** Source of `job.created` for compileJob. */
  clock?: Clock;
}

export function createJobTypeRegistry(opts: JobTypeRegistryOptions): JobTypeRegistry {
  const clock = opts.clock ?? systemClock;
  const client = new ScriptWorkerClient({
    scriptsDir: opts.scriptsDir,
    timeoutMs: opts.timeoutMs ?? SCRIPT_TIMEOUT_MS,
    log: opts.log ?? createLogger(),
  });
  return {
    list: async () => (await client.request({ op: "list" })) as AvailableJobType[],
    get: async (name) => (await client.request({ op: "get", name })) as AvailableJobType,
    compile: async (input) => {
      const request = { input, jobId: randomUUID(), createdMs: clock.now().getTime() };
      return JSON.parse((await client.request({ op: "compile", request })) as string) as CompiledJob;
    },
    close: () => client.close(),
  };
}
