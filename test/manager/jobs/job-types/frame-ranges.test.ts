import { describe, expect, test } from "bun:test";
import { frameChunker, frameCount } from "../../../../src/manager/jobs/job-types/frame-ranges";
import { MAX_FRAMES_PER_RANGE } from "../../../../src/manager/jobs/job-types/limits";

describe("frameChunker", () => {
  test("spec examples", () => {
    expect(frameChunker("1..10,20..25,40,3..8", 4)).toEqual(["1-4", "5-8", "9,10,20,21", "22-25", "40"]);
    expect(frameChunker("0-12,34-56,78-90", 20)).toEqual(["0-12,34-40", "41-56,78-81", "82-90"]);
    expect(frameChunker("47", 4)).toEqual(["47"]);
    expect(frameChunker("1-10", 3)).toEqual(["1-3", "4-6", "7-9", "10"]);
  });

  test("whitespace around numbers and a leading + are fine; duplicates collapse", () => {
    expect(frameChunker(" 1  .. 10,\t20..25\n,40 ", 100)).toEqual(["1-10,20-25,40"]);
    expect(frameChunker("+3,1-3,2", 10)).toEqual(["1-3"]);
  });

  test("runs of two frames are written as two items", () => {
    expect(frameChunker("1,2,5,6,7,9", 10)).toEqual(["1,2,5-7,9"]);
  });

  test("invalid ranges throw", () => {
    expect(() => frameChunker("  ", 1)).toThrow('invalid range "": empty range');
    expect(() => frameChunker("1-10", 0)).toThrow("invalid chunk size, must be positive number: 0");
    expect(() => frameChunker("1-", 1)).toThrow('invalid range "1-": "" is not a frame number');
    expect(() => frameChunker("1,2,", 1)).toThrow("invalid range");
    expect(() => frameChunker("1-2-3", 1)).toThrow('invalid range "1-2-3": 1-2-3');
    expect(() => frameChunker("a", 1)).toThrow("invalid range");
    expect(() => frameChunker("0x10", 1)).toThrow("invalid range");
    expect(() => frameChunker("10-5", 1)).toThrow("empty range");
    expect(() => frameChunker(`1-${MAX_FRAMES_PER_RANGE + 1}`, 1)).toThrow(
      `more than ${MAX_FRAMES_PER_RANGE} frames`,
    );
  });
});

describe("frameCount", () => {
  test("counts distinct frames", () => {
    expect(frameCount("1-10")).toBe(10);
    expect(frameCount("0..12,34-40")).toBe(20);
    expect(frameCount("5,5,5")).toBe(1);
    expect(frameCount("10-5")).toBe(0);
  });

  test("the empty string is a parse error", () => {
    expect(() => frameCount("")).toThrow("invalid range");
  });
});
