import { describe, expect, test } from "bun:test";
import {
  ensureDriveAbsolute,
  hasPathPrefix,
  isUncPath,
  toPlatform,
  trimTrailingSeparators,
} from "../../../src/manager/config/crosspath";

describe("toPlatform", () => {
  test.each([
    ["/shared/flamenco/x", "linux", "/shared/flamenco/x"],
    ["\\shared\\flamenco\\x", "linux", "/shared/flamenco/x"],
    ["/shared//flamenco/x/", "darwin", "/shared/flamenco/x"],
    ["Y:/shared/x", "windows", "Y:\\shared\\x"],
    ["Y:shared/x", "windows", "Y:\\shared\\x"],
    ["Y:", "windows", "Y:\\"],
    ["\\\\nas\\share/x", "windows", "\\\\nas\\share\\x"],
    ["/", "linux", "/"],
    ["", "linux", ""],
    ["relative/path", "windows", "relative\\path"],
  ])("%p for %p → %p", (input, platform, expected) => {
    expect(toPlatform(input, platform)).toBe(expected);
  });
});

describe("hasPathPrefix", () => {
  test("matches whole path components only", () => {
    expect(hasPathPrefix("/media/shared/x", "/media/shared")).toBe(true);
    expect(hasPathPrefix("/media/shared", "/media/shared")).toBe(true);
    expect(hasPathPrefix("/media/shared2/x", "/media/shared")).toBe(false);
    expect(hasPathPrefix("/render", "/renders")).toBe(false);
  });
  test("ignores case and separator style", () => {
    expect(hasPathPrefix("y:\\SHARED\\flamenco\\x", "Y:/shared/flamenco")).toBe(true);
    expect(hasPathPrefix("Y:/shared/flamenco/x", "Y:\\shared\\flamenco")).toBe(true);
  });
  test("a prefix ending in a separator (a root) matches what follows", () => {
    expect(hasPathPrefix("/anything", "/")).toBe(true);
  });
  test("an empty prefix never matches", () => {
    expect(hasPathPrefix("/x", "")).toBe(false);
  });
});

test("trimTrailingSeparators keeps a lone root", () => {
  expect(trimTrailingSeparators("/render/")).toBe("/render");
  expect(trimTrailingSeparators("F:\\flamenco\\\\")).toBe("F:\\flamenco");
  expect(trimTrailingSeparators("//")).toBe("/");
  expect(trimTrailingSeparators("")).toBe("");
});

test("ensureDriveAbsolute", () => {
  expect(ensureDriveAbsolute("F:")).toBe("F:\\");
  expect(ensureDriveAbsolute("F:path\\x")).toBe("F:\\path\\x");
  expect(ensureDriveAbsolute("F:\\path")).toBe("F:\\path");
  expect(ensureDriveAbsolute("/not/windows")).toBe("/not/windows");
});

test("isUncPath", () => {
  expect(isUncPath("\\\\server\\share")).toBe(true);
  expect(isUncPath("/srv/share")).toBe(false);
});
