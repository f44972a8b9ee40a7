import { expect, test } from "bun:test";
import { findTaskGraphProblem } from "../../../../src/manager/jobs/job-types/task-graph";
import type { CompiledTask } from "../../../../src/manager/jobs/job-types/types";

function task(name: string, uuid: string, dependencies: string[] = []): CompiledTask {
  return { uuid, name, type: "misc", priority: 50, commands: [], dependencies };
}
const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const C = "00000000-0000-4000-8000-00000000000c";

test("a valid DAG has no problem", () => {
  expect(findTaskGraphProblem([task("a", A), task("b", B, [A]), task("c", C, [A, B])])).toBeUndefined();
});

test("duplicate task UUIDs are reported", () => {
  expect(findTaskGraphProblem([task("a", A), task("a", A)])).toBe(
    `task "a" (${A}) was added to the job more than once`,
  );
});

test("dependencies on tasks not in the job are reported", () => {
  expect(findTaskGraphProblem([task("b", B, [A])])).toBe(
    `task "b" depends on a task (${A}) that was not added to the job`,
  );
});

test("cycles are reported with the tasks involved", () => {
  expect(findTaskGraphProblem([task("a", A, [C]), task("b", B, [A]), task("c", C, [B])])).toBe(
    'dependency cycle: "a" depends on "c" depends on "b" depends on "a"',
  );
  expect(findTaskGraphProblem([task("self", A, [A])])).toBe('dependency cycle: "self" depends on "self"');
});

test("invalid UUIDs are reported", () => {
  expect(findTaskGraphProblem([task("x", "not-a-uuid")])).toBe('task "x" has an invalid UUID "not-a-uuid"');
});

test("a 10,000-task chain is checked without overflowing the stack", () => {
  const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const chain = (first: string[]) =>
    Array.from({ length: 10_000 }, (_, i) => task(`t${i}`, uuid(i), i === 0 ? first : [uuid(i - 1)]));
  expect(findTaskGraphProblem(chain([]))).toBeUndefined();
  expect(findTaskGraphProblem(chain([uuid(9_999)]))).toStartWith('dependency cycle: "t0" depends on "t9999"');
});
