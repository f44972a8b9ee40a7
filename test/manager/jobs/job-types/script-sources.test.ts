import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BUILTIN_SCRIPTS_DIR,
  ModuleNotFoundError,
  discoverJobTypeScripts,
  jobTypeNameOf,
  resolveModule,
  type ScriptRoots,
} from "../../../../src/manager/jobs/job-types/script-sources";

const SCRIPT = "const JOB_TYPE = {label: 'x'};\n";
let dir: string;
let builtinDir: string;
let roots: ScriptRoots;
let warnings: string[];

function write(root: string, rel: string, text = SCRIPT): void {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), text);
}

beforeEach(() => {
  const base = mkdtempSync(join(tmpdir(), "tablao-sources-"));
  dir = join(base, "scripts");
  builtinDir = join(base, "builtin");
  mkdirSync(dir);
  mkdirSync(builtinDir);
  roots = { scriptsDir: dir, builtinDir };
  warnings = [];
});
afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

const discover = () => discoverJobTypeScripts(roots, (msg) => warnings.push(msg));

test("job-type names come from the file name", () => {
  expect(jobTypeNameOf("simple_blender_render.js")).toBe("simple-blender-render");
  expect(jobTypeNameOf("my_job.v2.js")).toBe("my-job.v2");
});

test("the built-in folder holds the two shipped job types", () => {
  const found = discoverJobTypeScripts({ scriptsDir: null, builtinDir: BUILTIN_SCRIPTS_DIR }, () => {});
  expect([...found.keys()].sort()).toEqual(["echo-sleep-test", "simple-blender-render"]);
});

describe("discovery", () => {
  test("only top-level regular .js files of at least 8 bytes count", () => {
    write(dir, "good_one.js");
    write(dir, "tiny.js", "//tiny\n");
    write(dir, "README.md");
    write(dir, "upper.JS");
    write(dir, "sub/nested.js");
    symlinkSync(join(dir, "good_one.js"), join(dir, "linked.js"));
    expect([...discover().keys()]).toEqual(["good-one"]);
  });

  test("on-disk scripts override built-ins after name derivation", () => {
    write(builtinDir, "simple_blender_render.js");
    write(builtinDir, "echo.js");
    write(dir, "simple-blender-render.js");
    const found = discover();
    expect(found.get("simple-blender-render")!.path).toBe(join(dir, "simple-blender-render.js"));
    expect(found.get("echo")!.path).toBe(join(builtinDir, "echo.js"));
  });

  test("within one folder the file name sorting last wins", () => {
    write(dir, "a_b.js");
    write(dir, "a-b.js");
    expect(discover().get("a-b")!.id).toBe("a_b.js");
  });

  test("a missing scripts folder is skipped silently, a file in its place too", () => {
    write(builtinDir, "echo.js");
    roots = { scriptsDir: join(dir, "absent"), builtinDir };
    expect([...discover().keys()]).toEqual(["echo"]);
    write(dir, "not-a-dir");
    roots = { scriptsDir: join(dir, "not-a-dir"), builtinDir };
    expect([...discover().keys()]).toEqual(["echo"]);
    expect(warnings).toEqual([]);
  });

  test("the identity changes when the file changes", () => {
    write(dir, "t.js");
    const before = discover().get("t")!.identity;
    write(dir, "t.js", `${SCRIPT}// more\n`);
    expect(discover().get("t")!.identity).not.toBe(before);
  });
});

describe("module resolution", () => {
  test("relative paths resolve against the requiring module's folder, trying .js and .json", () => {
    write(dir, "lib/a.js");
    write(dir, "lib/data.json", "{}");
    write(dir, "lib/sub/b.js");
    expect(resolveModule(roots, "", "./lib/a")).toBe("lib/a.js");
    expect(resolveModule(roots, "", "./lib/a.js")).toBe("lib/a.js");
    expect(resolveModule(roots, "", "./lib/data")).toBe("lib/data.json");
    expect(resolveModule(roots, "lib/sub", "../a")).toBe("lib/a.js");
    expect(resolveModule(roots, "lib", "./sub/b")).toBe("lib/sub/b.js");
  });

  test("folders resolve through package.json main, then index.js / index.json", () => {
    write(dir, "pkg/package.json", JSON.stringify({ main: "src/entry" }));
    write(dir, "pkg/src/entry.js");
    write(dir, "idx/index.json", "{}");
    expect(resolveModule(roots, "", "./pkg")).toBe("pkg/src/entry.js");
    expect(resolveModule(roots, "", "./idx")).toBe("idx/index.json");
  });

  test("bare names are looked up in node_modules folders up to the root, on disk then built in", () => {
    write(dir, "node_modules/helper/index.js");
    write(dir, "lib/node_modules/local.js");
    write(builtinDir, "node_modules/shipped.js");
    expect(resolveModule(roots, "lib", "helper")).toBe("node_modules/helper/index.js");
    expect(resolveModule(roots, "lib", "local")).toBe("lib/node_modules/local.js");
    expect(resolveModule(roots, "", "shipped")).toBe("node_modules/shipped.js");
    expect(() => resolveModule(roots, "", "local")).toThrow(ModuleNotFoundError);
  });

  test("absolute paths and escapes from the roots fail", () => {
    write(dir, "lib/a.js");
    expect(() => resolveModule(roots, "", join(dir, "lib/a.js"))).toThrow('cannot find module "/');
    expect(() => resolveModule(roots, "", "C:\\x.js")).toThrow(ModuleNotFoundError);
    expect(() => resolveModule(roots, "", "../scripts/lib/a")).toThrow(ModuleNotFoundError);
    expect(() => resolveModule(roots, "", "./nope")).toThrow('cannot find module "./nope"');
  });
});
