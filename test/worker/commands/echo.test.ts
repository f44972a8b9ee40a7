import { expect, test } from "bun:test";
import { echo } from "../../../src/worker/commands/echo";
import { recordingContext } from "./recording-context";

test("echo logs its message quoted, and other JSON values as JSON", async () => {
  const ctx = recordingContext();
  await echo({ message: 'Hi "there"\nñ' }, ctx);
  await echo({ message: 47 }, ctx);
  await echo({ message: { a: [1] } }, ctx);
  expect(ctx.logs).toEqual(['echo: "Hi \\"there\\"\\nñ"', 'echo: "47"', 'echo: "{\\"a\\":[1]}"']);
});

test("echo without a message fails naming the parameter", async () => {
  await expect(echo({}, recordingContext())).rejects.toThrow(
    'echo: mandatory parameter "message" is missing: {}',
  );
});
