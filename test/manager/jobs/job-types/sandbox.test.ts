import { afterAll, describe, expect, test } from "bun:test";
import vm from "node:vm";
import { goPlatformName } from "../../../../src/shared/platform";
import { compileJob, getJobType } from "../../../../src/manager/jobs/job-types/engine";
import { JobTypeError } from "../../../../src/manager/jobs/job-types/errors";
import { MAX_SCRIPT_LOG_CHARS } from "../../../../src/manager/jobs/job-types/limits";
import type { CompiledJob } from "../../../../src/manager/jobs/job-types/types";
import { thrownBy } from "../../../support/thrown";
import { engineContext, removeScriptsDirs, scriptsDir, submission, taskGraph } from "./support";

afterAll(removeScriptsDirs);

const JOB_TYPE = "const JOB_TYPE = { label: 'Test' };\n";
const CREATED_MS = Date.UTC(2024, 0, 2, 3, 4, 5);

/** Compiles the one script `body` (with a trivial JOB_TYPE) as job type "t". */
function compileScript(body: string, files: Record<string, string> = {}, timeoutMs?: number) {
  const ctx = engineContext(scriptsDir({ "t.js": JOB_TYPE + body, ...files }), timeoutMs);
  const input = submission(
    "t",
    { a: 1, s: "x" },
    { metadata: { m: "1" }, worker_tag: "tag-uuid", storage: { shaman_checkout_id: "co" } },
  );
  const json = compileJob(ctx, {
    input,
    jobId: "6a8d7a2e-5b3e-4d7a-9b8a-1c2d3e4f5a6b",
    createdMs: CREATED_MS,
  });
  return { job: JSON.parse(json) as CompiledJob, logs: ctx.logs };
}

describe("globals", () => {
  test("scripts see exactly Flamenco's globals and no Bun or Node APIs", () => {
    const { job } = compileScript(`
      function compileJob(job) {
        job.metadata.globals = Object.getOwnPropertyNames(globalThis).join(",");
        job.metadata.present = [author.Task, author.Command, path.join, path.basename, path.dirname, path.stem,
          process.cwd, print, alert, frameChunker, frameCount, formatTimestampLocal, shellSplit, require, console.log]
          .map((f) => typeof f).join(",");
        job.metadata.absent = [typeof Bun, typeof setTimeout, typeof fetch, typeof Buffer, typeof process.env,
          typeof path.resolve, typeof __filename, typeof module, typeof exports].join(",");
        job.metadata.platform = process.platform;
        job.metadata.cwd = process.cwd();
        job.metadata.thisValue = typeof this;
        job.metadata.escape = [globalThis.constructor, print, frameChunker, globalThis.toString]
          .map((f) => f.constructor.constructor("return typeof Bun")()).join(",");
        job.metadata.requireBuiltins = String(require("path") === path && require("author") === author && require("process") === process);
      }`);
    const baseline = vm.runInContext(
      "Object.getOwnPropertyNames(globalThis)",
      vm.createContext(),
    ) as string[];
    const expected = new Set([
      ...baseline,
      ...Object.getOwnPropertyNames(Object.prototype),
      ...["author", "path", "process", "require", "print", "alert", "frameChunker", "frameCount"],
      ...["formatTimestampLocal", "shellSplit", "compileJob"],
    ]);
    expect(new Set(job.metadata.globals?.split(","))).toEqual(expected);
    expect(job.metadata.present).toBe(Array(15).fill("function").join(","));
    expect(job.metadata.absent).toBe(Array(9).fill("undefined").join(","));
    expect(job.metadata.platform).toBe(goPlatformName(process.platform));
    expect(job.metadata.cwd).toBe(process.cwd());
    expect(job.metadata.thisValue).toBe("undefined");
    expect(job.metadata.escape).toBe("undefined,undefined,undefined,undefined");
    expect(job.metadata.requireBuiltins).toBe("true");
  });

  test("helper errors are the script's own Error objects, catchable by the script", () => {
    const { job } = compileScript(`
      function compileJob(job) {
        try { frameChunker("", 1); } catch (e) { job.metadata.chunker = (e instanceof Error) + ": " + e.message; }
        try { shellSplit("'open"); } catch (e) { job.metadata.shlex = (e instanceof Error) + ": " + e.message; }
      }`);
    expect(job.metadata.chunker).toBe('true: invalid range "": empty range');
    expect(job.metadata.shlex).toBe("true: EOF found when expecting closing quote");
  });

  test("arguments are coerced as goja does", () => {
    const { job } = compileScript(`
      function compileJob(job) {
        const t = author.Task("  spaced  ", 5);
        t.addCommand(author.Command(7, null));
        t.addCommand(author.Command("steps", {}, "3.9"));
        t.addCommand(author.Command("nan", {}, "x"));
        job.addTask(t);
        job.metadata.results = JSON.stringify([frameChunker(10, "2"), shellSplit(undefined), path.join("a", undefined, 3),
          path.stem(null), formatTimestampLocal(new Date(2006, 0, 2, 15, 4, 5)), formatTimestampLocal(job.created)]);
        for (const bad of [() => author.Task("", "x"), () => author.Task("x", " "), () => frameCount(null)]) {
          try { bad(); } catch (e) { job.metadata.errors = (job.metadata.errors || "") + e.message + ";"; }
        }
      }`);
    expect(taskGraph(job)).toEqual([
      {
        name: "spaced",
        type: "5",
        priority: 50,
        commands: [
          { name: "7", parameters: null, total_step_count: 0 },
          { name: "steps", parameters: {}, total_step_count: 3 },
          { name: "nan", parameters: {}, total_step_count: 0 },
        ],
        dependsOn: [],
      },
    ]);
    const localCreated = `${new Date(CREATED_MS).getFullYear()}`;
    const results = JSON.parse(job.metadata.results ?? "[]") as unknown[];
    expect(results.slice(0, 5)).toEqual([["10"], [], "a/3", "", "2006-01-02_150405"]);
    expect(results[5]).toStartWith(localCreated);
    expect(job.metadata.errors).toBe(
      'author.Task(name, type): name is required;author.Task(name, type): type is required;invalid range "": "" is not a frame number;',
    );
  });
});

describe("the job object", () => {
  test("carries the submission, and keeps the script's changes to settings, metadata, name and priority", () => {
    const { job } = compileScript(`
      function compileJob(job) {
        job.metadata.seen = [job.jobID, job.workerTagUUID, job.name, job.jobType, job.priority, job.status,
          job.created instanceof Date && job.created.getTime(), job.storage.shamanCheckoutID, job.tasks.length].join("|");
        job.settings.s = "changed";
        delete job.settings.a;
        job.settings.added = [1, { two: 2 }];
        job.metadata.number = 42;
        job.metadata.gone = undefined;
        delete job.metadata.m;
        job.name = "renamed";
        job.priority = "70";
      }`);
    expect(job.metadata.seen).toBe(
      `6a8d7a2e-5b3e-4d7a-9b8a-1c2d3e4f5a6b|tag-uuid|test job|t|50|under-construction|${CREATED_MS}|co|0`,
    );
    expect(job.settings).toEqual({ s: "changed", added: [1, { two: 2 }] });
    expect<unknown>(job.metadata).toEqual({ seen: job.metadata.seen, number: "42" });
    expect(job).toMatchObject({
      id: "6a8d7a2e-5b3e-4d7a-9b8a-1c2d3e4f5a6b",
      name: "renamed",
      type: "t",
      priority: 70,
      workerTagUUID: "tag-uuid",
      storageShamanCheckoutId: "co",
    });
  });

  test("addTask stores a snapshot; commands and parameters are copied when added", () => {
    const { job } = compileScript(`
      function compileJob(job) {
        const params = { list: [1, 2], nested: { when: new Date(0) } };
        const cmd = author.Command("c", params, 1);
        params.list.push(3);
        params.added = true;
        const t = author.Task("t", "misc");
        t.addCommand(cmd);
        cmd.name = "renamed after add";
        job.addTask(t);
        t.addCommand(author.Command("lost", {}));
        t.priority = 99;
        job.metadata.visible = String(job.tasks.length) + ":" + job.tasks[0].commands.length;
      }`);
    expect(taskGraph(job)).toEqual([
      {
        name: "t",
        type: "misc",
        priority: 50,
        commands: [
          {
            name: "c",
            parameters: { list: [1, 2], nested: { when: "1970-01-01T00:00:00.000Z" } },
            total_step_count: 1,
          },
        ],
        dependsOn: [],
      },
    ]);
    expect(job.metadata.visible).toBe("1:1");
  });

  test("parameters that cannot be stored are rejected where they are made", () => {
    const err = thrownBy(JobTypeError, () =>
      compileScript(`
      function compileJob(job) {
        author.Command("c", { args: ["ok", { fn: () => 1 }] });
      }`),
    );
    expect(err.message).toBe(
      "t.js:4: TypeError: author.Command: parameters.args[1].fn is a function, which cannot be stored",
    );
    expect(
      thrownBy(JobTypeError, () => compileScript(`function compileJob() { author.Command("c", "text"); }`))
        .message,
    ).toContain("parameters must be an object");
    expect(
      thrownBy(JobTypeError, () =>
        compileScript(`function compileJob() { author.Command("c", { n: NaN }); }`),
      ).message,
    ).toContain("parameters.n is NaN");
  });

  test("dependencies are stored by UUID, duplicates dropped", () => {
    const { job } = compileScript(`
      function compileJob(job) {
        const a = author.Task("a", "misc");
        const b = author.Task("b", "misc");
        b.addDependency(a);
        b.addDependency(a);
        job.addTask(a);
        job.addTask(b);
      }`);
    expect<unknown>(job.tasks[1]?.dependencies).toEqual([job.tasks[0]?.uuid]);
  });

  test("graph mistakes that Flamenco would only hit at insert time are script errors", () => {
    const twice = thrownBy(JobTypeError, () =>
      compileScript(
        `function compileJob(job) { const a = author.Task("a", "misc"); job.addTask(a); job.addTask(a); }`,
      ),
    );
    expect(twice.code).toBe("script-error");
    expect(twice.message).toMatch(/^t\.js: task "a" \(.{36}\) was added to the job more than once$/);
    const missing = thrownBy(JobTypeError, () =>
      compileScript(`function compileJob(job) {
        const a = author.Task("a", "misc"); const b = author.Task("b", "misc");
        b.addDependency(a); job.addTask(b); }`),
    );
    expect(missing.message).toMatch(
      /^t\.js: task "b" depends on a task \(.{36}\) that was not added to the job$/,
    );
    const cycle = thrownBy(JobTypeError, () =>
      compileScript(`function compileJob(job) {
        const a = author.Task("a", "misc"); const b = author.Task("b", "misc");
        a.addDependency(b); b.addDependency(a); job.addTask(a); job.addTask(b); }`),
    );
    expect(cycle.message).toBe('t.js: dependency cycle: "a" depends on "b" depends on "a"');
  });
});

describe("errors name the file and line", () => {
  test("syntax error", () => {
    const ctx = engineContext(
      scriptsDir({ "bad.js": "const JOB_TYPE = {};\n\nfunction compileJob(job) {\n  let x = ;\n}\n" }),
    );
    const err = thrownBy(JobTypeError, () => getJobType(ctx, "bad"));
    expect(err).toMatchObject({ code: "script-error", file: "bad.js", line: 4 });
    expect(err.message).toStartWith("bad.js:4: SyntaxError: ");
  });

  test("an Error thrown by compileJob, and a ReferenceError", () => {
    const thrown = thrownBy(JobTypeError, () =>
      compileScript(`\nfunction compileJob(job) {\n  throw new Error("no frames");\n}`),
    );
    expect(thrown).toMatchObject({
      code: "script-error",
      file: "t.js",
      line: 4,
      message: "t.js:4: Error: no frames",
    });
    const ref = thrownBy(JobTypeError, () => compileScript(`function compileJob(job) {\n  foo();\n}`));
    expect(ref.message).toBe("t.js:3: ReferenceError: foo is not defined");
  });

  test("a thrown string keeps its text (no stack, so no line)", () => {
    const err = thrownBy(JobTypeError, () =>
      compileScript(`function compileJob(job) { throw "no render_output_path setting!"; }`),
    );
    expect(err).toMatchObject({
      file: "t.js",
      line: undefined,
      message: "t.js: no render_output_path setting!",
    });
  });

  test("a helper's error points at the script line that called it", () => {
    const err = thrownBy(JobTypeError, () =>
      compileScript(`function compileJob(job) {\n\n  frameChunker("1-", 1);\n}`),
    );
    expect(err.message).toBe('t.js:4: Error: invalid range "1-": "" is not a frame number');
  });

  test("errors at the top level and inside required modules", () => {
    const top = thrownBy(JobTypeError, () => compileScript(`null.x;\nfunction compileJob() {}`));
    expect(top).toMatchObject({ file: "t.js", line: 2 });
    const inModule = thrownBy(JobTypeError, () =>
      compileScript(`const h = require("./lib/h");\nfunction compileJob() { h.boom(); }`, {
        "lib/h.js": "exports.boom = function () {\n  throw new RangeError('deep');\n};\n",
      }),
    );
    expect(inModule).toMatchObject({ file: "lib/h.js", line: 2, message: "lib/h.js:2: RangeError: deep" });
    const moduleSyntax = thrownBy(JobTypeError, () =>
      compileScript(`\nconst h = require("./lib/broken");\nfunction compileJob() {}`, {
        "lib/broken.js": "exports.a = 1;\nexports.b = ;\n",
      }),
    );
    expect(moduleSyntax).toMatchObject({ file: "t.js", line: 3 });
    expect(moduleSyntax.message).toStartWith("t.js:3: SyntaxError: lib/broken.js:2: ");
    const missing = thrownBy(JobTypeError, () =>
      compileScript(`require("./nope");\nfunction compileJob() {}`),
    );
    expect(missing.message).toBe('t.js:2: Error: cannot find module "./nope"');
  });

  test("missing or unusable JOB_TYPE and compileJob", () => {
    const ctx = engineContext(
      scriptsDir({
        "no_type.js": "function compileJob() {}\n",
        "bad_type.js": "const JOB_TYPE = { settings: [{ key: 'k', choices: 'a' }] };\n",
        "no_compile.js": "const JOB_TYPE = { label: 'x' };\n",
      }),
    );
    expect(thrownBy(JobTypeError, () => getJobType(ctx, "no-type")).message).toBe(
      "no_type.js: script does not define a JOB_TYPE object",
    );
    expect(thrownBy(JobTypeError, () => getJobType(ctx, "bad-type")).message).toBe(
      'bad_type.js: script does not define a proper JOB_TYPE object: setting "k": choices must be an array of strings',
    );
    expect(getJobType(ctx, "no-compile").label).toBe("x");
    const noCompile = thrownBy(JobTypeError, () =>
      compileJob(ctx, { input: submission("no-compile", {}), jobId: "x", createdMs: 0 }),
    );
    expect(noCompile.message).toBe("no_compile.js: script does not define a compileJob(job) function");
  });

  test("an unknown job type", () => {
    const err = thrownBy(JobTypeError, () => getJobType(engineContext(null), "nope"));
    expect(err).toMatchObject({
      code: "unknown-job-type",
      file: undefined,
      message: 'job type "nope" is unknown',
    });
  });
});

describe("time limit", () => {
  const LIMIT_MS = 150;

  test.each([
    ["top level", "while (true) {}\nfunction compileJob() {}"],
    ["compileJob", "function compileJob() { while (true) {} }"],
    [
      "a loop that catches everything",
      "function compileJob() { for (;;) { try { while (true) {} } catch (e) {} } }",
    ],
    ["a JOB_TYPE getter", "function compileJob() {}\nJOB_TYPE.settings = [{ get key() { for (;;) {} } }];"],
  ])("a script looping in %s times out", (_where, body) => {
    const started = performance.now();
    const err = thrownBy(JobTypeError, () => compileScript(body, {}, LIMIT_MS));
    expect(err).toMatchObject({
      code: "timeout",
      file: "t.js",
      message: `t.js: script did not finish within ${LIMIT_MS} ms`,
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(LIMIT_MS - 5);
  });
});

describe("require", () => {
  test("modules load once per evaluation, get exports/require/module, and start fresh on the next one", () => {
    const files = {
      "t.js": `${JOB_TYPE}
        const counter = require("./lib/counter");
        const again = require("./lib/counter.js");
        const config = require("./lib/config");
        const shipped = require("shared");
        function compileJob(job) {
          job.metadata.count = String(counter.next());
          job.metadata.same = String(counter === again);
          job.metadata.config = config.name;
          job.metadata.shipped = shipped;
          job.metadata.moduleVars = counter.vars;
        }`,
      "lib/counter.js": `let n = 0;
        module.exports = { next: () => ++n, vars: [typeof exports, typeof require, typeof module, typeof __filename, String(this === exports)].join(",") };`,
      "lib/config.json": `{ "name": "from json" }`,
      "node_modules/shared/package.json": `{ "main": "main.js" }`,
      "node_modules/shared/main.js": `module.exports = "from node_modules";`,
    };
    const ctx = engineContext(scriptsDir(files));
    const compileOnce = () =>
      JSON.parse(compileJob(ctx, { input: submission("t", {}), jobId: "x", createdMs: 0 })) as CompiledJob;
    expect(compileOnce().metadata).toEqual({
      count: "1",
      same: "true",
      config: "from json",
      shipped: "from node_modules",
      moduleVars: "object,function,object,undefined,true",
    });
    expect(compileOnce().metadata.count).toBe("1");
  });
});

describe("logging", () => {
  test("print logs at info, alert at warning, prefixed with the file; long lines are cut", () => {
    const { logs } = compileScript(`
      function compileJob(job) {
        print("hello", 1, { a: [true] }, null);
        alert("careful");
        console.log("via console");
        print("x".repeat(${MAX_SCRIPT_LOG_CHARS * 2}));
      }`);
    expect(logs.slice(0, 3)).toEqual([
      { level: "info", message: 'job-type script t.js: hello 1 {"a":[true]} null' },
      { level: "warn", message: "job-type script t.js: careful" },
      { level: "info", message: "job-type script t.js: via console" },
    ]);
    expect(logs[3]?.message.length).toBe("job-type script t.js: ".length + MAX_SCRIPT_LOG_CHARS);
  });
});
