import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  JobTypeError,
  SCRIPT_TIMEOUT_MS,
  createJobTypeRegistry,
  type JobTypeRegistry,
} from "../../../../src/manager/jobs/job-types";
import { WATCHDOG_GRACE_MS } from "../../../../src/manager/jobs/job-types/limits";
import { removeScriptsDirs, scriptsDir, submission, writeScripts } from "./support";

const registries: JobTypeRegistry[] = [];
afterAll(() => {
  for (const r of registries) r.close();
  removeScriptsDirs();
});

function registry(dir: string | null, timeoutMs?: number) {
  const warnings: string[] = [];
  const reg = createJobTypeRegistry({
    scriptsDir: dir,
    timeoutMs,
    log: (level, msg) => level === "warn" && warnings.push(msg),
  });
  registries.push(reg);
  return { reg, warnings };
}

async function rejection(promise: Promise<unknown>): Promise<JobTypeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof JobTypeError)) throw new Error(`expected a JobTypeError, got ${String(err)}`);
  return err;
}

const typeScript = (
  label: string,
  compile = "function compileJob(job) { job.addTask(author.Task('only', 'misc')); }",
) => `const JOB_TYPE = { label: ${JSON.stringify(label)} };\n${compile}\n`;

test("SCRIPT_TIMEOUT_MS is five seconds", () => {
  expect(SCRIPT_TIMEOUT_MS).toBe(5000);
});

describe("listing and getting", () => {
  test("built-ins only, sorted by name", async () => {
    const { reg } = registry(null);
    const types = await reg.list();
    expect(types.map((t) => [t.name, t.etag])).toEqual([
      ["echo-sleep-test", "eba586e16d6b55baaa43e32f9e78ae514b457fee"],
      ["simple-blender-render", "6f6b4fce9301252a6ab4a9a213a2f0ad447eccd5"],
    ]);
    expect(types[0]).toEqual(await reg.get("echo-sleep-test"));
  });

  test("broken scripts are left out of the list with a warning, and reported precisely when used", async () => {
    const dir = scriptsDir({
      "syntax_error.js": "const JOB_TYPE = {};\nlet broken = ;\nfunction compileJob() {}\n",
      "helper.js": "exports.shared = 1; // a helper wrongly placed at the top level\n",
      "fine.js": typeScript("Fine"),
    });
    const { reg, warnings } = registry(dir);
    expect((await reg.list()).map((t) => t.name)).toEqual([
      "echo-sleep-test",
      "fine",
      "simple-blender-render",
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toBe(
      'job type "helper" left out: helper.js:1: ReferenceError: exports is not defined',
    );
    expect(warnings[1]).toStartWith('job type "syntax-error" left out: syntax_error.js:2: SyntaxError: ');
    const err = await rejection(reg.get("syntax-error"));
    expect(err).toMatchObject({ code: "script-error", file: "syntax_error.js", line: 2 });
    const compileErr = await rejection(reg.compile(submission("syntax-error", {})));
    expect(compileErr).toMatchObject({ code: "script-error", file: "syntax_error.js", line: 2 });
  });

  test("unknown job types", async () => {
    const { reg } = registry(null);
    expect(await rejection(reg.get("nope"))).toMatchObject({
      code: "unknown-job-type",
      message: 'job type "nope" is unknown',
    });
    expect((await rejection(reg.compile(submission("nope", {})))).code).toBe("unknown-job-type");
  });
});

describe("the scripts folder", () => {
  test("a script there overrides the built-in of the same name", async () => {
    const { reg } = registry(scriptsDir({ "echo-sleep-test.js": typeScript("My Echo") }));
    const type = await reg.get("echo-sleep-test");
    expect(type.label).toBe("My Echo");
    expect(type.etag).not.toBe("eba586e16d6b55baaa43e32f9e78ae514b457fee");
    const job = await reg.compile(submission("echo-sleep-test", { message: "x" }));
    expect(job.tasks.map((t) => t.name)).toEqual(["only"]);
  });

  test("new, edited and removed scripts are seen on the next call, without a restart", async () => {
    const dir = scriptsDir();
    const { reg } = registry(dir);
    expect((await reg.list()).map((t) => t.name)).not.toContain("fresh");
    writeScripts(dir, { "fresh.js": typeScript("Fresh v1") });
    expect((await reg.get("fresh")).label).toBe("Fresh v1");
    writeScripts(dir, { "fresh.js": typeScript("Fresh v2, a longer label") });
    expect((await reg.list()).find((t) => t.name === "fresh")!.label).toBe("Fresh v2, a longer label");
    rmSync(join(dir, "fresh.js"));
    expect((await rejection(reg.get("fresh"))).code).toBe("unknown-job-type");
  });
});

describe("time limit", () => {
  const LIMIT_MS = 300;

  test("a looping script times out within the limit while the main thread keeps running", async () => {
    const { reg } = registry(
      scriptsDir({ "spin.js": typeScript("Spin", "function compileJob() { while (true) {} }") }),
      LIMIT_MS,
    );
    await reg.get("echo-sleep-test"); // Worker started and warm.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    const err = await rejection(reg.compile(submission("spin", {})));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(err).toMatchObject({
      code: "timeout",
      file: "spin.js",
      message: `spin.js: script did not finish within ${LIMIT_MS} ms`,
    });
    expect(elapsed).toBeGreaterThanOrEqual(LIMIT_MS - 5);
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect((await reg.get("echo-sleep-test")).name).toBe("echo-sleep-test");
  });

  test("code the vm timeout cannot stop is cut off by the watchdog; the script is quarantined until it changes", async () => {
    // The getter runs when the worker describes the thrown value, outside any vm timeout.
    const blocking = typeScript(
      "Stuck",
      "function compileJob() { throw { get message() { for (;;) {} } }; }",
    );
    const dir = scriptsDir({ "stuck.js": blocking });
    const { reg, warnings } = registry(dir, LIMIT_MS);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    const err = await rejection(reg.compile(submission("stuck", {})));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(err).toMatchObject({ code: "timeout", file: "stuck.js" });
    expect(err.message).toBe(
      `stuck.js: script did not finish within ${LIMIT_MS} ms; the job-type worker thread was restarted`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(LIMIT_MS + WATCHDOG_GRACE_MS - 5);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(warnings.some((w) => w.includes("stuck.js blocked the worker thread"))).toBe(true);

    // A new worker serves the other types; the quarantined script is left out and fails at once.
    expect((await reg.list()).map((t) => t.name)).toEqual(["echo-sleep-test", "simple-blender-render"]);
    expect(warnings.at(-1)).toStartWith(
      'job type "stuck" left out: stuck.js: script blocked the job-type worker',
    );
    const again = await rejection(reg.compile(submission("stuck", {})));
    expect(again.message).toContain("not running it again until the file changes");

    writeScripts(dir, { "stuck.js": typeScript("Unstuck") });
    expect((await reg.compile(submission("stuck", {}))).tasks.map((t) => t.name)).toEqual(["only"]);
  });

  test("a listing survives a script that blocks the worker at load time", async () => {
    const dir = scriptsDir({
      "blocks_on_load.js": "const JOB_TYPE = {};\nthrow { get name() { for (;;) {} } };\n",
      "fine.js": typeScript("Fine"),
    });
    const { reg, warnings } = registry(dir, LIMIT_MS);
    expect((await reg.list()).map((t) => t.name)).toEqual([
      "echo-sleep-test",
      "fine",
      "simple-blender-render",
    ]);
    expect(warnings.some((w) => w.includes("blocks_on_load.js blocked the worker thread"))).toBe(true);
  });
});

// Its speed is measured by bench/submit.ts, not asserted here.
test("a 10,000-task job compiles and reaches the main thread intact", async () => {
  const { reg } = registry(null);
  const job = await reg.compile(submission("echo-sleep-test", { message: "many", sleep_repeats: 9_999 }));
  expect(job.tasks).toHaveLength(10_000);
  expect(new Set(job.tasks.map((t) => t.uuid)).size).toBe(10_000);
  expect<unknown>(job.tasks[9_999]?.dependencies).toEqual([job.tasks[0]?.uuid]);
});

test("close() rejects the call in flight and every later one", async () => {
  const { reg } = registry(null);
  const inFlight = reg.list();
  reg.close();
  await expect(inFlight).rejects.toThrow("job-type registry is closed");
  await expect(reg.get("echo-sleep-test")).rejects.toThrow("job-type registry is closed");
});
