import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  SHARED_STORAGE_OK_CAUSE,
  checkSharedStorage,
} from "../../../src/manager/config/shared-storage-check";
import { tempDirs } from "../../support/temp-dirs";

const freshDir = tempDirs("tablao-shared-check");

const manager = freshDir();
const opts = { cwd: manager, ownDirs: [manager, join(manager, "flamenco-manager-storage")] };

describe("checkSharedStorage", () => {
  test("a writable directory is usable and the test file is gone afterwards", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "existing.blend"), "");
    expect(await checkSharedStorage(dir, opts)).toEqual({
      path: dir,
      is_usable: true,
      cause: SHARED_STORAGE_OK_CAUSE,
    });
    expect(readdirSync(dir)).toEqual(["existing.blend"]);
  });

  test("a relative path resolves against the working directory but is reported as given", async () => {
    mkdirSync(join(manager, "shared"));
    const result = await checkSharedStorage("shared", opts);
    expect(result).toEqual({ path: "shared", is_usable: true, cause: SHARED_STORAGE_OK_CAUSE });
    expect(readdirSync(join(manager, "shared"))).toEqual([]);
  });

  const unusable: [string, () => string, RegExp][] = [
    ["empty", () => "", /empty path/],
    ["UNC", () => "\\\\server\\share", /UNC/],
    ["missing", () => join(freshDir(), "nope"), /does not exist/],
    ["below a file", () => join(writeFile(), "sub"), /does not exist/],
    ["a file", () => writeFile(), /not a directory/],
    ["the Manager's working directory", () => `${manager}/`, /Manager's own/],
    [
      "the Manager's local storage",
      () => join(manager, "x", "..", "flamenco-manager-storage"),
      /Manager's own/,
    ],
    ["not writable", () => "/sys", /Cannot create a file/],
    // Not normalised away (path.join would): the check refuses the text, whatever it resolves to.
    ["a path with ..", () => `${freshDir()}/../x`, /"\.\." component/],
    ["a relative path with ..", () => "../shared", /"\.\." component/],
    ["a Windows path with ..", () => "S:\\renders\\..\\secrets", /"\.\." component/],
  ];
  for (const [name, makePath, cause] of unusable) {
    test(`unusable: ${name}`, async () => {
      mkdirSync(join(manager, "flamenco-manager-storage"), { recursive: true });
      const path = makePath();
      const result = await checkSharedStorage(path, opts);
      expect(result.path).toBe(path);
      expect(result.is_usable).toBe(false);
      expect(result.cause).toMatch(cause);
    });
  }
});

function writeFile(): string {
  const path = join(freshDir(), "file.txt");
  writeFileSync(path, "x");
  return path;
}
