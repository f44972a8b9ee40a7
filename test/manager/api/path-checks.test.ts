// The setup assistant's path checks on a real Manager (SQLite file, Bun.serve): path text that is
// no usable path gets a 400 naming the problem (never a 500), and the shared-storage check writes
// nowhere but in the directory it is asked about.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PATH_INPUT_MAX_CHARS } from "../../../src/manager/config/path-input";
import { startTestManager, type TestManager } from "../../support/manager";
import { tempDirs } from "../../support/temp-dirs";

const freshDir = tempDirs("tablao-path-checks");
let m: TestManager;

beforeAll(async () => {
  m = await startTestManager();
});
afterAll(() => m.destroy());

async function check(what: "blender" | "shared-storage", path: string): Promise<Response> {
  return fetch(`${m.url}/api/v3/configuration/check/${what}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path }),
  });
}

async function expectRefused(res: Response, message: string | RegExp): Promise<void> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { code: number; message: string };
  expect(body.code).toBe(400);
  expect(body.message).toMatch(message);
}

const TOO_LONG = `longer than the limit of ${PATH_INPUT_MAX_CHARS} characters`;

describe("POST /api/v3/configuration/check/blender", () => {
  test("a 4,096-character path or name is a 400 naming the limit, not a 500", async () => {
    for (const path of ["b".repeat(4096), `/${"b".repeat(4095)}`]) {
      await expectRefused(await check("blender", path), `body.path: ${TOO_LONG}`);
    }
  });

  test("NUL bytes and other control characters are a 400", async () => {
    await expectRefused(
      await check("blender", "/usr/bin/blender\0.sh"),
      /^body\.path: contains the control character U\+0000/,
    );
    await expectRefused(await check("blender", "blender\n--python evil.py"), /U\+000A/);
  });

  test("a relative path with folders is a 400; bare names and absolute paths are checked", async () => {
    await expectRefused(
      await check("blender", "bin/blender"),
      /neither an absolute path nor a bare command name/,
    );
    await expectRefused(await check("blender", "../blender"), /neither an absolute path/);

    const bare = await check("blender", "no-such-blender-for-tablao");
    expect(bare.status).toBe(200);
    expect(await bare.json()).toMatchObject({
      is_usable: false,
      source: "path_envvar",
      cause: "Blender could not be found",
    });
    const absolute = await check("blender", join(freshDir(), "blender"));
    expect(absolute.status).toBe(200);
    expect(await absolute.json()).toMatchObject({ is_usable: false, source: "input_path" });
  });
});

describe("POST /api/v3/configuration/check/shared-storage", () => {
  test("over-long paths and NUL bytes are a 400", async () => {
    await expectRefused(await check("shared-storage", `/${"s".repeat(4096)}`), `body.path: ${TOO_LONG}`);
    await expectRefused(await check("shared-storage", `${freshDir()}\0`), /control character U\+0000/);
  });

  test("a path with .. is unusable and nothing is written, not even in the directory it names", async () => {
    const parent = freshDir();
    mkdirSync(join(parent, "sub"));
    const res = await check("shared-storage", join(parent, "sub") + "/..");
    expect(res.status).toBe(200);
    const verdict = (await res.json()) as { is_usable: boolean; cause: string };
    expect(verdict.is_usable).toBe(false);
    expect(verdict.cause).toContain('".."');
    expect(readdirSync(parent)).toEqual(["sub"]);
    expect(readdirSync(join(parent, "sub"))).toEqual([]);
  });

  test("a file is unusable and left as it was", async () => {
    const file = join(freshDir(), "scene.blend");
    writeFileSync(file, "BLENDER");
    const res = await check("shared-storage", file);
    expect(res.status).toBe(200);
    const verdict = (await res.json()) as { is_usable: boolean; cause: string };
    expect(verdict.is_usable).toBe(false);
    expect(verdict.cause).toContain("not a directory");
    expect(readFileSync(file, "utf8")).toBe("BLENDER");
  });

  test("a writable directory is usable; its test file is removed and its contents untouched", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "keep.txt"), "mine");
    const res = await check("shared-storage", dir);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: dir, is_usable: true, cause: "Directory checked successfully" });
    expect(readdirSync(dir)).toEqual(["keep.txt"]);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("mine");
  });
});
