import { expect, test } from "bun:test";
import { goPlatformName } from "../../src/shared/platform";

test("Bun platform names map to the Go names workers report", () => {
  expect(goPlatformName("win32")).toBe("windows");
  expect(goPlatformName("linux")).toBe("linux");
  expect(goPlatformName("darwin")).toBe("darwin");
  expect(goPlatformName("freebsd")).toBe("freebsd");
});
