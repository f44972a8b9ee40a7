// The job-type operations the worker thread performs: list, get and compile, each loading the
// scripts afresh (cached by file identity) and running every script in its own sandbox.
import { JobTypeError } from "./errors";
import { compareUtf8 } from "./etag";
import { InvalidJobTypeError, toAvailableJobType } from "./job-type-definition";
import { ScriptSandbox, type CompiledScriptCache } from "./sandbox";
import { discoverJobTypeScripts, type JobTypeScript, type ScriptRoots } from "./script-sources";
import { checkJobSettings } from "./settings-check";
import { findTaskGraphProblem } from "./task-graph";
import type { AvailableJobType, SubmittedJobInput } from "./types";

export interface EngineContext {
  roots: ScriptRoots;
  timeoutMs: number;
  cache: CompiledScriptCache;
  log: (level: "info" | "warn", message: string) => void;
  /** Identities of scripts that once blocked the worker past the watchdog; not run again until changed. */
  quarantined: ReadonlySet<string>;
  /** Called before each script runs, so the main thread can re-arm its watchdog for it. */
  onEvaluate: (script: JobTypeScript) => void;
}

function openSandbox(ctx: EngineContext, script: JobTypeScript): ScriptSandbox {
  if (ctx.quarantined.has(script.identity)) {
    throw new JobTypeError(
      "timeout",
      script.id,
      undefined,
      `${script.id}: script blocked the job-type worker past ${ctx.timeoutMs} ms before; not running it again until the file changes`,
    );
  }
  ctx.onEvaluate(script);
  return new ScriptSandbox(script, ctx);
}

function jobTypeOf(sandbox: ScriptSandbox): AvailableJobType {
  const exported = sandbox.exportJobType();
  try {
    return toAvailableJobType(sandbox.script.jobType, exported);
  } catch (err) {
    if (!(err instanceof InvalidJobTypeError)) throw err;
    throw sandbox.scriptError(`script does not define a proper JOB_TYPE object: ${err.message}`);
  }
}

function findScript(ctx: EngineContext, name: string): JobTypeScript {
  const script = discoverJobTypeScripts(ctx.roots, (msg) => ctx.log("warn", msg)).get(name);
  if (!script)
    throw new JobTypeError("unknown-job-type", undefined, undefined, `job type "${name}" is unknown`);
  return script;
}

/** Every usable job type, sorted by name; broken scripts are left out with a warning. */
export function listJobTypes(ctx: EngineContext): AvailableJobType[] {
  const scripts = [...discoverJobTypeScripts(ctx.roots, (msg) => ctx.log("warn", msg)).values()];
  const types: AvailableJobType[] = [];
  for (const script of scripts.sort((a, b) => compareUtf8(a.jobType, b.jobType))) {
    try {
      types.push(jobTypeOf(openSandbox(ctx, script)));
    } catch (err) {
      if (!(err instanceof JobTypeError)) throw err;
      ctx.log("warn", `job type "${script.jobType}" left out: ${err.message}`);
    }
  }
  return types;
}

export function getJobType(ctx: EngineContext, name: string): AvailableJobType {
  return jobTypeOf(openSandbox(ctx, findScript(ctx, name)));
}

export interface CompileRequest {
  input: SubmittedJobInput;
  jobId: string;
  createdMs: number;
}

/**
 * Checks the settings against the job type, runs compileJob and checks the task graph.
 * Returns the CompiledJob as JSON text, ready for the trip to the main thread.
 */
export function compileJob(ctx: EngineContext, { input, jobId, createdMs }: CompileRequest): string {
  const sandbox = openSandbox(ctx, findScript(ctx, input.type));
  const settings = checkJobSettings(jobTypeOf(sandbox), input.settings ?? {});
  const { json, tasks } = sandbox.compile({
    jobID: jobId,
    workerTagUUID: input.worker_tag ?? "",
    name: input.name,
    jobType: input.type,
    priority: input.priority,
    createdMs,
    settings,
    metadata: input.metadata ?? {},
    shamanCheckoutID: input.storage?.shaman_checkout_id ?? "",
  });
  const problem = findTaskGraphProblem(tasks);
  if (problem) throw sandbox.scriptError(problem);
  return json;
}
