// The script-side half of the sandbox: `sandboxPrelude` is not called here but serialised and
// evaluated inside each fresh vm context, so every object a script can reach (author API, job,
// tasks, errors, require) belongs to the script's own realm. It must not use anything from this
// module's scope; it talks to the worker only through `host`, passing and receiving primitives.
import type { CompiledJob, CompiledTask } from "./types";

/** Worker-side services; they take and return primitives only (arrays travel as JSON text). */
export interface SandboxHost {
  log(level: "info" | "warn", message: string): void;
  /** `count` new UUID v4 strings, joined by ",": one call per batch keeps realm crossings rare. */
  newUUIDs(count: number): string;
  cwd(): string;
  platform: string;
  frameChunker(frames: string, chunkSize: number): string;
  frameCount(frames: string): number;
  shellSplit(text: string): string;
  formatTimestampLocal(epochMs: number): string;
  pathJoin(...parts: string[]): string;
  pathBasename(path: string): string;
  pathDirname(path: string): string;
  pathStem(path: string): string;
  /** Module id (path relative to the script roots) for `require(request)` from folder `fromDir`. */
  resolveModule(fromDir: string, request: string): string;
  readJsonModule(id: string): string;
  /** Compiles a JS module inside the context; returns its `(exports, require, module)` wrapper. */
  compileJsModule(id: string): (exports: unknown, require: unknown, module: unknown) => void;
}

/**
 * What the prelude hands back to the worker. Ops run through `entry`, which the worker calls
 * from a vm script (so the vm timeout applies) via a temporary global named `entryGlobal`.
 */
export interface SandboxRuntime {
  prepare(op: "export-job-type" | "compile", argJson: string, entryGlobal: string): void;
  /** Removes its temporary global and runs the prepared op: ExportJobTypeResult as JSON text, or a CompileOpResult. */
  entry: () => unknown;
}

/** Data the worker passes to the `compile` op. */
export interface CompileOpInput {
  jobID: string;
  workerTagUUID: string;
  name: string;
  jobType: string;
  priority: number;
  createdMs: number;
  settings: Record<string, unknown>;
  metadata: Record<string, string>;
  shamanCheckoutID: string;
}

/**
 * The compile op yields the whole CompiledJob as JSON text, which travels to the main thread
 * as is, plus its tasks as plain objects made by the prelude so the worker can check the task
 * graph without parsing the text.
 */
export type CompileOpResult = { missingCompileJob: true } | { json: string; tasks: CompiledTask[] };

export type ExportJobTypeResult = { defined: false } | { defined: true; value: unknown };

export function sandboxPrelude(host: SandboxHost): SandboxRuntime {
  // Global lookups are slow in a vm context (about 15x), so the intrinsics used here are
  // captured once; that also keeps globals a script reassigns out of this code.
  const global = globalThis as unknown as Record<string, unknown>;
  const indirectEval = global.eval as (code: string) => unknown;
  const { defineProperty, getOwnPropertyNames, getOwnPropertyDescriptor, keys: objectKeys } = Object;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- always called as objectToString.call(value)
  const objectToString = Object.prototype.toString;
  const { trunc } = Math;
  const { isFinite: isFiniteNumber } = Number;
  const { isArray } = Array;
  const { stringify: jsonStringify, parse: jsonParse } = JSON;
  const ToNumber = Number;
  const ToString = String;
  const DateClass = Date;
  const SetClass = Set;
  const ErrorClass = Error;
  const TypeErrorClass = TypeError;
  const SyntaxErrorClass = SyntaxError;
  const MAX_COPY_DEPTH = 100;

  // Property lookups on a Bun vm global fall back to the worker's Object.prototype; shadow
  // those members with this realm's own so scripts never touch worker-realm functions.
  for (const name of getOwnPropertyNames(Object.prototype)) {
    defineProperty(global, name, getOwnPropertyDescriptor(Object.prototype, name)!);
  }

  function toStr(v: unknown): string {
    return typeof v === "string" ? v : v === undefined || v === null ? "" : ToString(v);
  }
  function toInt(v: unknown): number {
    if (v === undefined || v === null) return 0;
    const n = trunc(typeof v === "number" ? v : ToNumber(v));
    return isFiniteNumber(n) ? n : 0;
  }
  function isObject(v: unknown): v is Record<string, unknown> {
    return (typeof v === "object" && v !== null) || typeof v === "function";
  }
  /** Host errors belong to the worker realm; scripts get an error of their own realm. */
  function call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const { name, message } = err as Error;
      const text = typeof message === "string" ? message : ToString(err);
      if (name === "SyntaxError") throw new SyntaxErrorClass(text);
      if (name === "TypeError") throw new TypeErrorClass(text);
      throw new ErrorClass(text);
    }
  }

  function formatArg(v: unknown): string {
    if (typeof v === "string") return v;
    try {
      const json = jsonStringify(v);
      if (json !== undefined) return json;
    } catch {
      // Cyclic or otherwise unserialisable: fall back to String().
    }
    try {
      return ToString(v);
    } catch {
      return objectToString.call(v);
    }
  }
  function print(...args: unknown[]): void {
    host.log("info", args.map(formatArg).join(" "));
  }
  function alert(...args: unknown[]): void {
    host.log("warn", args.map(formatArg).join(" "));
  }

  /** Thrown by copyValue; the path to the bad value is added while unwinding. */
  class UnstorableValue extends ErrorClass {
    constructor(
      public path: string,
      readonly problem: string,
    ) {
      super(problem);
    }
  }
  /** Command parameters become plain JSON data now; later changes to the source do not leak in. */
  function copyValue(v: unknown, depth: number): unknown {
    if (v === undefined || v === null) return null;
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (!isFiniteNumber(v)) throw new UnstorableValue("", `is ${v}`);
        return v;
      case "object": {
        if (depth >= MAX_COPY_DEPTH) throw new UnstorableValue("", "is nested too deeply (cyclic?)");
        if (v instanceof DateClass) return v.toISOString();
        let key: string | number = 0;
        try {
          if (isArray(v)) {
            const out = new Array<unknown>(v.length);
            for (key = 0; key < v.length; key++) out[key] = copyValue(v[key], depth + 1);
            return out;
          }
          const out: Record<string, unknown> = {};
          for (key of objectKeys(v)) out[key] = copyValue((v as Record<string, unknown>)[key], depth + 1);
          return out;
        } catch (err) {
          if (err instanceof UnstorableValue)
            err.path = (typeof key === "number" ? `[${key}]` : `.${key}`) + err.path;
          throw err;
        }
      }
      default:
        throw new UnstorableValue("", `is a ${typeof v}`);
    }
  }
  function copyParameters(parameters: unknown): unknown {
    if (parameters === undefined || parameters === null) return null;
    if (typeof parameters !== "object" || isArray(parameters)) {
      throw new TypeErrorClass("author.Command(name, parameters): parameters must be an object");
    }
    try {
      return copyValue(parameters, 0);
    } catch (err) {
      if (!(err instanceof UnstorableValue)) throw err;
      throw new TypeErrorClass(
        `author.Command: parameters${err.path} ${err.problem}, which cannot be stored`,
      );
    }
  }

  type Command = { name: string; parameters: unknown; totalStepCount: number };
  type Task = {
    uUID: string;
    name: string;
    type: string;
    priority: number;
    commands: Command[];
    dependencies: unknown[];
  };
  /** Commands made here hold parameters that are already plain copies. */
  const ownCommands = new WeakSet<object>();
  const isOwnCommand = (c: unknown): c is Command => isObject(c) && ownCommands.has(c);

  /** addCommand/addTask keep a copy of the command as it is now (its parameters object is shared, as in Go). */
  function snapshotCommand(cmd: unknown): Command {
    if (!isObject(cmd))
      throw new TypeErrorClass("addCommand(cmd): cmd must be a command made with author.Command()");
    const copy = {
      name: toStr(cmd.name),
      parameters: ownCommands.has(cmd) ? cmd.parameters : copyParameters(cmd.parameters),
      totalStepCount: toInt(cmd.totalStepCount),
    };
    ownCommands.add(copy);
    return copy;
  }

  const UUID_BATCH = 256;
  let uuidBatch: string[] = [];
  function newUUID(): string {
    if (uuidBatch.length === 0) uuidBatch = host.newUUIDs(UUID_BATCH).split(",");
    return uuidBatch.pop()!;
  }

  const author = {
    Task(name: unknown, type: unknown) {
      const taskName = toStr(name).trim();
      const taskType = toStr(type).trim();
      if (taskName === "") throw new ErrorClass("author.Task(name, type): name is required");
      if (taskType === "") throw new ErrorClass("author.Task(name, type): type is required");
      const task = {
        uUID: newUUID(),
        name: taskName,
        type: taskType,
        priority: 50,
        commands: [] as Command[],
        dependencies: [] as unknown[],
        addCommand(cmd: unknown): void {
          task.commands.push(snapshotCommand(cmd));
        },
        addDependency(dependency: unknown): void {
          if (!isObject(dependency))
            throw new TypeErrorClass("addDependency(task): task must be a task made with author.Task()");
          task.dependencies.push(dependency);
        },
      };
      return task;
    },
    Command(name: unknown, parameters: unknown, totalStepCount: unknown): Command {
      const cmd = {
        name: toStr(name),
        parameters: copyParameters(parameters),
        totalStepCount: toInt(totalStepCount),
      };
      ownCommands.add(cmd);
      return cmd;
    },
  };

  const path = {
    join: (...parts: unknown[]) => call(() => host.pathJoin(...parts.map(toStr))),
    basename: (p: unknown) => call(() => host.pathBasename(toStr(p))),
    dirname: (p: unknown) => call(() => host.pathDirname(toStr(p))),
    stem: (p: unknown) => call(() => host.pathStem(toStr(p))),
  };
  const processShim = { platform: host.platform, cwd: () => call(() => host.cwd()) };

  function timestampMs(t: unknown): number {
    if (t instanceof DateClass) return t.getTime();
    if (typeof t === "number") return t;
    if (typeof t === "string") return DateClass.parse(t);
    throw new TypeErrorClass("formatTimestampLocal(t): t must be a Date or a date string");
  }

  // CommonJS modules: one instance per context, so per request, like Flamenco's fresh VM.
  type Module = { exports: unknown; id: string; loaded: boolean };
  const modules = new Map<string, Module>();
  function makeRequire(fromDir: string) {
    return function require(request: unknown): unknown {
      const name = toStr(request);
      if (name === "author") return author;
      if (name === "path") return path;
      if (name === "process") return processShim;
      const id = call(() => host.resolveModule(fromDir, name));
      const cached = modules.get(id);
      if (cached) return cached.exports;
      const module: Module = { exports: {}, id, loaded: false };
      modules.set(id, module);
      try {
        if (id.endsWith(".json")) module.exports = jsonParse(call(() => host.readJsonModule(id)));
        else {
          const wrapper = call(() => host.compileJsModule(id));
          const slash = id.lastIndexOf("/");
          wrapper.call(
            module.exports,
            module.exports,
            makeRequire(slash < 0 ? "" : id.slice(0, slash)),
            module,
          );
        }
      } catch (err) {
        modules.delete(id);
        throw err;
      }
      module.loaded = true;
      return module.exports;
    };
  }

  const globals: Record<string, unknown> = {
    author,
    path,
    process: processShim,
    require: makeRequire(""),
    print,
    alert,
    console: { log: print, info: print, debug: print, warn: alert, error: alert },
    frameChunker: (frames: unknown, chunkSize: unknown) =>
      jsonParse(call(() => host.frameChunker(toStr(frames), toInt(chunkSize)))) as string[],
    frameCount: (frames: unknown) => call(() => host.frameCount(toStr(frames))),
    shellSplit: (text: unknown) => jsonParse(call(() => host.shellSplit(toStr(text)))) as string[],
    formatTimestampLocal: (t: unknown) => call(() => host.formatTimestampLocal(timestampMs(t))),
  };
  for (const name of objectKeys(globals)) {
    defineProperty(global, name, {
      value: globals[name],
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  /** Goja-style export of JOB_TYPE to plain data; getters and toJSON run here, under the time limit. */
  function exportValue(v: unknown, depth: number): unknown {
    if (depth > MAX_COPY_DEPTH) throw new TypeErrorClass("JOB_TYPE is nested too deeply (cyclic?)");
    if (
      v === undefined ||
      v === null ||
      typeof v === "function" ||
      typeof v === "symbol" ||
      typeof v === "bigint"
    )
      return null;
    if (typeof v !== "object") return v;
    if (v instanceof DateClass) return v.toISOString();
    if (isArray(v)) return v.map((item) => exportValue(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const key of objectKeys(v)) out[key] = exportValue((v as Record<string, unknown>)[key], depth + 1);
    return out;
  }

  function exportJobType(): string {
    const defined = indirectEval("typeof JOB_TYPE !== 'undefined'") as boolean;
    if (!defined) return jsonStringify({ defined: false });
    return jsonStringify({ defined: true, value: exportValue(indirectEval("JOB_TYPE"), 0) });
  }

  /** Metadata is string→string; null and undefined values are dropped, others become strings. */
  function stringMap(v: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (!isObject(v)) return out;
    for (const key of objectKeys(v)) {
      const value = v[key];
      if (value !== undefined && value !== null) out[key] = toStr(value);
    }
    return out;
  }

  /** Task UUIDs of the dependencies, each once (Flamenco would fail to store a repeated one). */
  function dependencyUUIDs(dependencies: unknown[]): string[] {
    const uuids = dependencies.map((d) => toStr((d as { uUID?: unknown }).uUID));
    return uuids.length < 2 ? uuids : [...new SetClass(uuids)];
  }

  function compile(input: CompileOpInput): CompileOpResult {
    const compileJob = indirectEval("typeof compileJob === 'function' ? compileJob : undefined") as
      ((job: unknown) => unknown) | undefined;
    if (!compileJob) return { missingCompileJob: true };

    const added: Task[] = [];
    const visibleTasks: Task[] = [];
    const job = {
      jobID: input.jobID,
      workerTagUUID: input.workerTagUUID,
      name: input.name,
      jobType: input.jobType,
      priority: input.priority,
      status: "under-construction",
      created: new DateClass(input.createdMs),
      settings: input.settings,
      metadata: input.metadata,
      storage: { shamanCheckoutID: input.shamanCheckoutID },
      tasks: visibleTasks,
      addTask(task: unknown): void {
        if (!isObject(task))
          throw new TypeErrorClass("job.addTask(task): task must be a task made with author.Task()");
        // A copy of the task as it is now, as Flamenco copies the Go struct.
        const snapshot: Task = {
          uUID: toStr(task.uUID),
          name: toStr(task.name),
          type: toStr(task.type),
          priority: toInt(task.priority),
          // Commands made by addCommand are shared, as the Go slice copy shares its elements.
          commands: isArray(task.commands)
            ? (task.commands as unknown[]).map((c) => (isOwnCommand(c) ? c : snapshotCommand(c)))
            : [],
          dependencies: isArray(task.dependencies) ? task.dependencies.slice() : [],
        };
        added.push(snapshot);
        visibleTasks.push(snapshot);
      },
    };

    compileJob.call(undefined, job);

    if (!isObject(job.settings) || isArray(job.settings))
      throw new TypeErrorClass("job.settings must be an object");
    const tasks: CompiledTask[] = added.map((t) => ({
      uuid: t.uUID,
      name: t.name,
      type: t.type,
      priority: t.priority,
      commands: t.commands.map((c) => ({
        name: toStr(c.name),
        parameters: c.parameters,
        total_step_count: toInt(c.totalStepCount),
      })),
      dependencies: dependencyUUIDs(t.dependencies),
    }));
    const result: CompiledJob = {
      id: input.jobID,
      name: toStr(job.name),
      type: input.jobType,
      priority: toInt(job.priority),
      settings: job.settings,
      metadata: stringMap(job.metadata),
      storageShamanCheckoutId: input.shamanCheckoutID,
      workerTagUUID: input.workerTagUUID,
      tasks,
    };
    return { json: jsonStringify(result), tasks };
  }

  let pending: { op: string; arg: string; entryGlobal: string } | undefined;
  return {
    prepare(op, argJson, entryGlobal) {
      pending = { op, arg: argJson, entryGlobal };
    },
    entry() {
      const current = pending;
      pending = undefined;
      if (!current) throw new ErrorClass("no sandbox operation prepared");
      delete global[current.entryGlobal];
      return current.op === "compile" ? compile(jsonParse(current.arg) as CompileOpInput) : exportJobType();
    },
  };
}
