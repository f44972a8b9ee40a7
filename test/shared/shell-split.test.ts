import { expect, test } from "bun:test";
import { shellSplit } from "../../src/shared/shell-split";

test("whitespace separates words", () => {
  expect(shellSplit(" --a  1\t--b\r\n2 ")).toEqual(["--a", "1", "--b", "2"]);
  expect(shellSplit("")).toEqual([]);
});

test("single quotes are literal; double quotes let a backslash escape anything", () => {
  expect(shellSplit(`'a \\n "b"'`)).toEqual([`a \\n "b"`]);
  expect(shellSplit(`"a \\n \\"b\\""`)).toEqual([`a n "b"`]);
});

test("quotes glue to word text; '' is an empty word; a backslash escapes outside quotes", () => {
  expect(shellSplit(`a"b c"d`)).toEqual(["ab cd"]);
  expect(shellSplit(`x '' y`)).toEqual(["x", "", "y"]);
  expect(shellSplit(`a\\ b c`)).toEqual(["a b", "c"]);
});

test("# starts a comment only at the start of a word", () => {
  expect(shellSplit("a #comment here\nb a#b")).toEqual(["a", "b", "a#b"]);
});

test("unterminated quotes and trailing backslashes throw", () => {
  expect(() => shellSplit(`"abc`)).toThrow("EOF found when expecting closing quote");
  expect(() => shellSplit(`'abc`)).toThrow("EOF found when expecting closing quote");
  expect(() => shellSplit(`abc\\`)).toThrow("EOF found after escape character");
  expect(() => shellSplit(`"abc\\`)).toThrow("EOF found after escape character");
});
