// The worker-side half of the sandbox: one fresh node:vm context per script evaluation, with
// the globals of Flamenco's job compiler (installed by the prelude), a time budget enforced by
// the vm timeout, and script failures turned into JobTypeErrors that name file and line.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import vm from "node:vm";
import { goPlatformName } from "../../../shared/platform";
import { JobTypeError } from "./errors";
import { frameChunker, frameCount } from "./frame-ranges";
import { formatTimestampLocal } from "./local-timestamp";
import {
  sandboxPrelude,
  type CompileOpInput,
  type CompileOpResult,
  type ExportJobTypeResult,
  type SandboxHost,
  type SandboxRuntime,
} from "./sandbox-prelude";
import * as scriptPath from "./script-path";
import {
  findFile,
  resolveModule,
  type JobTypeScript,
  type ScriptFile,
  type ScriptRoots,
} from "./script-sources";
import { shellSplit } from "../../../shared/shell-split";
import { MAX_SCRIPT_LOG_CHARS } from "./limits";

const PRELUDE_FILE = "tablao:sandbox-prelude";
const ENTRY_FILE = "tablao:sandbox-entry";
/** Random per worker so a script cannot know (and shadow) the name before it exists. */
const ENTRY_GLOBAL = `__tablaoEntry_${randomUUID().replaceAll("-", "")}`;
const VM_TIMEOUT_CODE = "ERR_SCRIPT_EXECUTION_TIMEOUT";

const preludeScript = new vm.Script(`"use strict"; (${sandboxPrelude.toString()})`, {
  filename: PRELUDE_FILE,
});
const entryScript = new vm.Script(`globalThis.${ENTRY_GLOBAL}()`, { filename: ENTRY_FILE });

/**
 * How a file is run. Wrappers stay on the source's first line, so line numbers in errors match
 * the file: job-type scripts are strict classic scripts, modules non-strict CommonJS functions.
 */
const WRAPPERS = {
  "job-type": (source: string) => `"use strict";${source}`,
  module: (source: string) => `(function (exports, require, module) {${source}\n})`,
};

/** Compiled scripts, reused while the file is unchanged; parsing is the costly part. */
export class CompiledScriptCache {
  private readonly entries = new Map<string, { identity: string; script: vm.Script }>();

  get(file: ScriptFile, kind: keyof typeof WRAPPERS): vm.Script {
    const key = `${kind}:${file.path}`;
    const cached = this.entries.get(key);
    if (cached?.identity === file.identity) return cached.script;
    const script = new vm.Script(WRAPPERS[kind](readFileSync(file.path, "utf8")), { filename: file.id });
    this.entries.set(key, { identity: file.identity, script });
    return script;
  }
}

export interface SandboxOptions {
  roots: ScriptRoots;
  timeoutMs: number;
  cache: CompiledScriptCache;
  log: (level: "info" | "warn", message: string) => void;
}

interface ThrownDescription {
  text: string;
  stack: string | undefined;
}

function readProperty(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Errors thrown in the context come from another realm, so no `instanceof` here. */
function describeThrown(err: unknown): ThrownDescription {
  if (typeof err !== "object" || err === null) return { text: String(err), stack: undefined };
  const name = readProperty(err, "name");
  const message = readProperty(err, "message");
  const stack = readProperty(err, "stack");
  let text: string;
  if (typeof name === "string" && typeof message === "string") text = message ? `${name}: ${message}` : name;
  else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the script's object may define its own toString
      text = String(err);
    } catch {
      text = Object.prototype.toString.call(err);
    }
  }
  return { text, stack: typeof stack === "string" ? stack : undefined };
}

const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+)(?::\d+)?\)?\s*$/;

/** The innermost stack frame that lies in one of the user's files. */
function userFrame(
  stack: string | undefined,
  userFiles: Set<string>,
): { file: string; line: number } | undefined {
  for (const line of stack?.split("\n") ?? []) {
    const [, file, lineNumber] = FRAME.exec(line) ?? [];
    if (file !== undefined && userFiles.has(file)) return { file, line: Number(lineNumber) };
  }
  return undefined;
}

/** One script evaluation: a fresh context with the script loaded, and a deadline. */
export class ScriptSandbox {
  private readonly context: vm.Context;
  private readonly global: Record<string, unknown>;
  private readonly runtime: SandboxRuntime;
  private readonly deadline: number;
  /** Files whose frames may locate an error: the script and every module it loaded. */
  private readonly userFiles: Set<string>;

  constructor(
    readonly script: JobTypeScript,
    private readonly opts: SandboxOptions,
  ) {
    this.deadline = Date.now() + opts.timeoutMs;
    this.userFiles = new Set([script.id]);
    this.context = vm.createContext();
    this.global = vm.runInContext("globalThis", this.context) as Record<string, unknown>;
    const install = preludeScript.runInContext(this.context) as (host: SandboxHost) => SandboxRuntime;
    this.runtime = install(this.host());
    this.guard(() => {
      const compiled = opts.cache.get(script, "job-type");
      compiled.runInContext(this.context, { timeout: this.remainingMs() });
    });
  }

  /** JOB_TYPE as plain data, or a JobTypeError when the script defines none. */
  exportJobType(): unknown {
    const result = JSON.parse(this.runOp("export-job-type", "") as string) as ExportJobTypeResult;
    if (!result.defined) throw this.scriptError("script does not define a JOB_TYPE object");
    return result.value;
  }

  /** The compiled job as JSON text, and its tasks for checking the graph. */
  compile(input: CompileOpInput): Exclude<CompileOpResult, { missingCompileJob: true }> {
    const result = this.runOp("compile", JSON.stringify(input)) as CompileOpResult;
    if ("missingCompileJob" in result)
      throw this.scriptError("script does not define a compileJob(job) function");
    return result;
  }

  scriptError(problem: string): JobTypeError {
    return new JobTypeError("script-error", this.script.id, undefined, `${this.script.id}: ${problem}`);
  }

  private runOp(op: "export-job-type" | "compile", arg: string): unknown {
    return this.guard(() => {
      this.runtime.prepare(op, arg, ENTRY_GLOBAL);
      Object.defineProperty(this.global, ENTRY_GLOBAL, { value: this.runtime.entry, configurable: true });
      try {
        const result: unknown = entryScript.runInContext(this.context, { timeout: this.remainingMs() });
        return result;
      } finally {
        delete this.global[ENTRY_GLOBAL];
      }
    });
  }

  private remainingMs(): number {
    const left = this.deadline - Date.now();
    if (left <= 0) throw Object.assign(new Error("time budget used up"), { code: VM_TIMEOUT_CODE });
    return left;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.toJobTypeError(err);
    }
  }

  private toJobTypeError(err: unknown): JobTypeError {
    if (err instanceof JobTypeError) return err;
    const file = this.script.id;
    if (readProperty(err as object, "code") === VM_TIMEOUT_CODE) {
      return new JobTypeError(
        "timeout",
        file,
        undefined,
        `${file}: script did not finish within ${this.opts.timeoutMs} ms`,
      );
    }
    const { text, stack } = describeThrown(err);
    const at = userFrame(stack, this.userFiles);
    if (!at) return new JobTypeError("script-error", file, undefined, `${file}: ${text}`);
    return new JobTypeError("script-error", at.file, at.line, `${at.file}:${at.line}: ${text}`);
  }

  private host(): SandboxHost {
    const { roots, cache, log } = this.opts;
    const script = this.script;
    const moduleFile = (id: string): ScriptFile => {
      const file = findFile(roots, id);
      if (!file) throw new Error(`cannot find module "${id}"`);
      this.userFiles.add(id);
      return file;
    };
    return {
      log: (level, message) =>
        log(level, `job-type script ${script.id}: ${message.slice(0, MAX_SCRIPT_LOG_CHARS)}`),
      newUUIDs: (count) => Array.from({ length: count }, () => randomUUID()).join(","),
      cwd: () => process.cwd(),
      platform: goPlatformName(process.platform),
      frameChunker: (frames, chunkSize) => JSON.stringify(frameChunker(frames, chunkSize)),
      frameCount: (frames) => frameCount(frames),
      shellSplit: (text) => JSON.stringify(shellSplit(text)),
      formatTimestampLocal: (epochMs) => formatTimestampLocal(new Date(epochMs)),
      pathJoin: (...parts) => scriptPath.join(...parts),
      pathBasename: (p) => scriptPath.basename(p),
      pathDirname: (p) => scriptPath.dirname(p),
      pathStem: (p) => scriptPath.stem(p),
      resolveModule: (fromDir, request) => resolveModule(roots, fromDir, request),
      readJsonModule: (id) => readFileSync(moduleFile(id).path, "utf8"),
      compileJsModule: (id) => {
        const file = moduleFile(id);
        let compiled: vm.Script;
        try {
          compiled = cache.get(file, "module");
        } catch (err) {
          // Keep the module's own position; the require() call site is added by the caller's frame.
          const line = readProperty(err as object, "line");
          const where = typeof line === "number" ? `${id}:${line}` : id;
          throw Object.assign(new Error(`${where}: ${(err as Error).message}`), {
            name: (err as Error).name,
          });
        }
        // Evaluating the wrapper only creates a function; the module body runs when the prelude calls it.
        return compiled.runInContext(this.context) as ReturnType<SandboxHost["compileJsModule"]>;
      },
    };
  }
}
