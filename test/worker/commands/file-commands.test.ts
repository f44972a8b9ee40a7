import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyFile } from "../../../src/worker/commands/copy-file";
import { makeDirectory } from "../../../src/worker/commands/make-directory";
import { backupPath, moveDirectory } from "../../../src/worker/commands/move-directory";
import { recordingContext } from "./recording-context";
import { tempDirs } from "../../support/temp-dirs";

const tempDir = tempDirs("tablao-filecmd");

const dir = () => tempDir();

describe("make-directory", () => {
  test("creates parents, and an existing directory is fine", async () => {
    const path = join(dir(), "a", "b");
    const ctx = recordingContext();
    await makeDirectory({ path }, ctx);
    await makeDirectory({ path }, ctx);
    expect(statSync(path).isDirectory()).toBe(true);
    expect(ctx.logs[0]).toBe(`make-directory: creating directory "${path}"`);
  });

  test("a path blocked by a file fails with a log line", async () => {
    const d = dir();
    writeFileSync(join(d, "file"), "x");
    const ctx = recordingContext();
    await expect(makeDirectory({ path: join(d, "file", "sub") }, ctx)).rejects.toThrow(
      /could not create directory/,
    );
    expect(ctx.logs.at(-1)).toMatch(/^make-directory: could not create directory/);
  });
});

describe("move-directory", () => {
  test("moves src to dest, first moving an existing dest aside by its mtime", async () => {
    const d = dir();
    mkdirSync(join(d, "new"));
    writeFileSync(join(d, "new", "f"), "new");
    mkdirSync(join(d, "dest"));
    writeFileSync(join(d, "dest", "f"), "old");
    const mtime = new Date(2026, 0, 5, 13, 4, 5);
    utimesSync(join(d, "dest"), mtime, mtime);

    const ctx = recordingContext();
    await moveDirectory({ src: join(d, "new"), dest: join(d, "dest") }, ctx);
    expect(readFileSync(join(d, "dest", "f"), "utf8")).toBe("new");
    expect(readFileSync(join(d, "dest-2026-01-05_130405", "f"), "utf8")).toBe("old");
    expect(existsSync(join(d, "new"))).toBe(false);
    expect(ctx.logs).toEqual([
      `move-directory: moving "${join(d, "dest")}" to "${join(d, "dest-2026-01-05_130405")}"`,
      `move-directory: moving "${join(d, "new")}" to "${join(d, "dest")}"`,
    ]);
  });

  test("a taken backup name gets the next free -NNN suffix", async () => {
    const d = dir();
    mkdirSync(join(d, "dest"));
    const mtime = new Date(2026, 0, 5, 13, 4, 5);
    utimesSync(join(d, "dest"), mtime, mtime);
    for (const taken of [
      "dest-2026-01-05_130405",
      "dest-2026-01-05_130405-001",
      "dest-2026-01-05_130405-007",
    ]) {
      mkdirSync(join(d, taken));
    }
    mkdirSync(join(d, "dest-2026-01-05_130405-x12"));
    expect(await backupPath(join(d, "dest"))).toBe(join(d, "dest-2026-01-05_130405-008"));
  });

  test("a missing src fails without touching dest", async () => {
    const d = dir();
    mkdirSync(join(d, "dest"));
    const ctx = recordingContext();
    await expect(moveDirectory({ src: join(d, "nope"), dest: join(d, "dest") }, ctx)).rejects.toThrow(
      /"src" has invalid value .*path does not exist/,
    );
    expect(existsSync(join(d, "dest"))).toBe(true);
    expect(ctx.logs[0]).toContain("does not exist, not moving anything");
  });
});

describe("copy-file", () => {
  test("copies to a new absolute path, creating its folders", async () => {
    const d = dir();
    writeFileSync(join(d, "src.txt"), "content");
    const dest = join(d, "deep", "er", "dest.txt");
    const ctx = recordingContext();
    await copyFile({ src: join(d, "src.txt"), dest }, ctx);
    expect(readFileSync(dest, "utf8")).toBe("content");
    expect(ctx.logs.at(-1)).toBe(`copy-file: copied "${join(d, "src.txt")}" to "${dest}"`);
  });

  test("refuses relative, missing, directory and overwriting cases, in Flamenco's order", async () => {
    const d = dir();
    writeFileSync(join(d, "src.txt"), "a");
    writeFileSync(join(d, "exists.txt"), "b");
    const run = (params: Record<string, unknown>) => copyFile(params, recordingContext());
    await expect(run({ dest: join(d, "x") })).rejects.toThrow(/missing or empty "src"/);
    await expect(run({ src: "rel.txt", dest: join(d, "x") })).rejects.toThrow(
      /"src" is not an absolute path/,
    );
    await expect(run({ src: join(d, "nope"), dest: join(d, "x") })).rejects.toThrow(/"src" does not exist/);
    await expect(run({ src: join(d, "src.txt") })).rejects.toThrow(/missing or empty "dest"/);
    await expect(run({ src: join(d, "src.txt"), dest: "rel" })).rejects.toThrow(
      /"dest" is not an absolute path/,
    );
    await expect(run({ src: join(d, "src.txt"), dest: join(d, "exists.txt") })).rejects.toThrow(
      /already exists/,
    );
    await expect(run({ src: d, dest: join(d, "copy") })).rejects.toThrow(/not a regular file/);
    expect(readFileSync(join(d, "exists.txt"), "utf8")).toBe("b");
  });
});
