// Path text from clients (src/manager/config/path-input.ts): what is refused before any check.
import { expect, test } from "bun:test";
import {
  PATH_INPUT_MAX_CHARS,
  blenderCommandProblem,
  malformedPathProblem,
} from "../../../src/manager/config/path-input";

test("paths up to the limit pass; longer ones are refused, naming the limit", () => {
  expect(malformedPathProblem(`/${"a".repeat(PATH_INPUT_MAX_CHARS - 1)}`)).toBeNull();
  expect(malformedPathProblem(`/${"a".repeat(PATH_INPUT_MAX_CHARS)}`)).toBe(
    "longer than the limit of 1024 characters",
  );
});

test("NUL, newline, ESC and DEL are refused, naming the character; other text is not", () => {
  expect(malformedPathProblem("/srv/a\0b")).toMatch(/U\+0000/);
  expect(malformedPathProblem("/srv/a\nb")).toMatch(/U\+000A/);
  expect(malformedPathProblem("/srv/\x1b[31m")).toMatch(/U\+001B/);
  expect(malformedPathProblem("/srv/a\x7f")).toMatch(/U\+007F/);
  expect(malformedPathProblem("/srv/Ünïcödé (x86); shots")).toBeNull();
  expect(malformedPathProblem("")).toBeNull();
});

test("a Blender command is empty, a bare name or an absolute path on the Manager's platform", () => {
  for (const ok of ["", "blender", "blender-4.2", "/opt/blender/blender"]) {
    expect(blenderCommandProblem(ok, "linux")).toBeNull();
  }
  for (const ok of [
    "blender.exe",
    "C:\\Blender\\blender.exe",
    "D:/Blender/blender.exe",
    "\\\\nas\\apps\\blender.exe",
  ]) {
    expect(blenderCommandProblem(ok, "windows")).toBeNull();
  }
  for (const relative of ["bin/blender", "./blender", "../blender"]) {
    expect(blenderCommandProblem(relative, "linux")).toMatch(
      /neither an absolute path nor a bare command name/,
    );
  }
  // A drive-relative path depends on the drive's current folder; a Windows path is not absolute on Linux.
  expect(blenderCommandProblem("C:blender\\blender.exe", "windows")).toMatch(/neither/);
  expect(blenderCommandProblem("C:\\Blender\\blender.exe", "linux")).toMatch(/neither/);
  expect(blenderCommandProblem("blender\0", "linux")).toMatch(/control character/);
});
