import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/manager/errors";
import { checkoutPathParts, relativePathParts } from "../../../src/manager/shaman/paths";
import { thrownBy } from "../../support/thrown";
import { TRAVERSALS } from "./fixture";

describe("checkout paths", () => {
  test.each(TRAVERSALS)("refuses %#: %j with a 400", (path) => {
    expect(thrownBy(ApiError, () => checkoutPathParts(path)).status).toBe(400);
  });

  test.each(["a?b", "a*b", "a;b", "a{b}", "a:b"])("refuses Flamenco's forbidden characters: %j", (path) => {
    expect(thrownBy(ApiError, () => checkoutPathParts(path)).status).toBe(400);
  });

  test("accepts the paths the add-on makes, split into components", () => {
    expect(checkoutPathParts("project/scene-ab12")).toEqual(["project", "scene-ab12"]);
    expect(checkoutPathParts("%2e%2e")).toEqual(["%2e%2e"]); // not decoded: a plain name
    expect(checkoutPathParts("…/ü")).toEqual(["…", "ü"]);
    expect(checkoutPathParts("a..b/..c")).toEqual(["a..b", "..c"]);
  });
});

describe("file paths inside a checkout", () => {
  test.each(TRAVERSALS)("refuses %#: %j with a 400", (path) => {
    const err = thrownBy(ApiError, () => relativePathParts("file path", path));
    expect(err.status).toBe(400);
    expect(err.message).toStartWith("invalid file path");
  });

  test("accept what a file name may hold on Linux (colons, semicolons)", () => {
    expect(relativePathParts("file path", "textures/a:b;c.png")).toEqual(["textures", "a:b;c.png"]);
  });
});
