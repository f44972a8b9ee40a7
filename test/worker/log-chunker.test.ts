import { expect, test } from "bun:test";
import { LogChunker } from "../../src/worker/log-chunker";
import { waitFor } from "../support/wait";

test("lines are batched until the chunk passes the byte limit", () => {
  const sent: string[] = [];
  const chunker = new LogChunker((t) => sent.push(t), 20, 60_000);
  chunker.append("0123456789"); // 11 bytes with its newline
  expect(sent).toEqual([]);
  chunker.append("abcdefghij"); // 22 > 20 → flushed
  expect(sent).toEqual(["0123456789\nabcdefghij\n"]);
  chunker.append("tail");
  chunker.flush();
  expect(sent).toEqual(["0123456789\nabcdefghij\n", "tail\n"]);
  chunker.flush();
  expect(sent).toHaveLength(2);
});

test("bytes, not characters, count towards the limit", () => {
  const sent: string[] = [];
  const chunker = new LogChunker((t) => sent.push(t), 10, 60_000);
  chunker.append("ééééé"); // 10 bytes + newline
  expect(sent).toEqual(["ééééé\n"]);
});

test("a quiet command's output is still sent once its oldest line reaches the maximum age", async () => {
  const sent: string[] = [];
  const chunker = new LogChunker((t) => sent.push(t), 10_240, 30);
  chunker.append("only line");
  expect(sent).toEqual([]);
  await waitFor("the timed flush", () => sent.length === 1, 2_000);
  expect(sent).toEqual(["only line\n"]);
});
