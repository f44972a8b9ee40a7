import { expect, test } from "bun:test";
import { basename, dirname, join, stem } from "../../../../src/manager/jobs/job-types/script-path";

test("join cleans POSIX-style, then turns backslashes into slashes", () => {
  expect(join("C:\\a", "b\\c.txt")).toBe("C:/a/b/c.txt");
  expect(join("\\\\SERVER", "x")).toBe("//SERVER/x");
  expect(join("a\\..\\b")).toBe("a/../b");
  expect(join("/render//x/", "./y/../z")).toBe("/render/x/z");
  expect(join("", "a", "")).toBe("a");
  expect(join("", "")).toBe("");
  expect(join("..", "a")).toBe("../a");
});

test("basename", () => {
  expect(basename("")).toBe(".");
  expect(basename("/a/b/")).toBe("b");
  expect(basename("///")).toBe("/");
  expect(basename("C:\\dir\\file.blend")).toBe("file.blend");
});

test("dirname drops one trailing slash and does no other cleaning", () => {
  expect(dirname("")).toBe(".");
  expect(dirname("file")).toBe(".");
  expect(dirname("/file")).toBe("/");
  expect(dirname("\\\\SERVER\\share\\f")).toBe("//SERVER/share");
  expect(dirname("C:\\f")).toBe("C:");
  expect(dirname("/a/b//c")).toBe("/a/b/");
});

test("stem strips the last extension", () => {
  expect(stem("/x/a.tar.gz")).toBe("a.tar");
  expect(stem(".bashrc")).toBe("");
  expect(stem("")).toBe("");
  expect(stem("R:\\sf\\scene.flamenco.blend")).toBe("scene.flamenco");
  expect(stem("noext")).toBe("noext");
});
