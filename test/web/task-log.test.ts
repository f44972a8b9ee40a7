import { expect, test } from "bun:test";
import { appendLines, joinTail, TASK_LOG_MAX_LINES } from "../../src/web/jobs/task-log";

test("chunks split into lines and the buffer keeps only the newest lines", () => {
  expect(appendLines(["a"], "b\nc\n")).toEqual(["a", "b", "c"]);
  const many = Array.from({ length: TASK_LOG_MAX_LINES + 10 }, (_, i) => `line ${i}`).join("\n");
  const lines = appendLines([], many);
  expect(lines).toHaveLength(TASK_LOG_MAX_LINES);
  expect(lines[0]).toBe("line 10");
});

test("chunks that raced with the tail fetch are added once", () => {
  expect(joinTail("one\ntwo\n", ["two", "three"])).toEqual(["one", "two", "three"]);
});
