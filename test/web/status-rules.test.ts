import { expect, test } from "bun:test";
import { pendingChangeText } from "../../src/web/status-rules";

test("a signed-off worker's remembered status reads as what happens at sign-on, not as a change", () => {
  expect(pendingChangeText("offline", { status: "awake", is_lazy: false })).toBe(
    "awake when it signs on again",
  );
  expect(pendingChangeText("awake", { status: "asleep", is_lazy: true })).toBe("➜ asleep (lazy)");
  expect(pendingChangeText("asleep", { status: "awake", is_lazy: false })).toBe("➜ awake");
});
