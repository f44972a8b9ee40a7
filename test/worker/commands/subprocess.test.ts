import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CommandCancelled, CommandError } from "../../../src/worker/commands/context";
import { LineSplitter, runSubprocess, shellQuote } from "../../../src/worker/commands/subprocess";
import { alive } from "../../support/processes";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";
import { recordingContext } from "./recording-context";

const tempDir = tempDirs("tablao-subprocess");

const bytes = (s: string) => new TextEncoder().encode(s);

describe("shellQuote", () => {
  test.each([
    ["plain/path-1.2_x@y%z+=:,", "plain/path-1.2_x@y%z+=:,"],
    ["", "''"],
    ["two words", "'two words'"],
    ["it's", `'it'"'"'s'`],
  ])("%p → %p", (arg, quoted) => expect(shellQuote(arg)).toBe(quoted));
});

describe("LineSplitter", () => {
  test("\\n and \\r\\n end lines, other \\r stays, lines may span chunks", () => {
    const s = new LineSplitter();
    expect(s.feed(bytes("one\r\ntw"))).toEqual(["one"]);
    expect(s.feed(bytes("o\rx\nthree"))).toEqual(["two\rx"]);
    expect(s.end()).toEqual(["three"]);
    expect(s.end()).toEqual([]);
  });

  test("long lines are cut at the byte limit, never inside a UTF-8 character", () => {
    const s = new LineSplitter(5);
    expect(s.feed(bytes("abcdefgh\n"))).toEqual(["abcde", "fgh"]);
    // "é" is two bytes: 5 bytes of "aaaaé" would split the é, so the first piece is "aaaa".
    expect(s.feed(bytes("aaaaéb\n"))).toEqual(["aaaa", "éb"]);
    // A character cut across feeds is completed by the next one.
    const t = new LineSplitter();
    const e = bytes("é");
    expect(t.feed(e.subarray(0, 1))).toEqual([]);
    expect(t.feed(new Uint8Array([...e.subarray(1), 0x0a]))).toEqual(["é"]);
  });
});

describe("runSubprocess", () => {
  test("logs the command line, then stdout and stderr lines in order, with the pid", async () => {
    const ctx = recordingContext();
    const lines: string[] = [];
    await runSubprocess({
      argv: ["/bin/sh", "-c", "echo out1; echo err1 >&2; echo out2; printf 'no newline'"],
      ctx,
      onLine: (l) => lines.push(l),
    });
    expect(lines).toEqual(["out1", "err1", "out2", "no newline"]);
    const log = ctx.logText();
    expect(
      log.startsWith(
        "going to run:\n\n    /bin/sh -c 'echo out1; echo err1 >&2; echo out2; printf '\"'\"'no newline'\"'\"''\n",
      ),
    ).toBe(true);
    const pid = /pid=(\d+) > out1/.exec(log)![1];
    expect(log).toContain(
      `pid=${pid} > out1\npid=${pid} > err1\npid=${pid} > out2\npid=${pid} > no newline\n`,
    );
  });

  test("a non-zero exit fails the command with its exit code", async () => {
    const ctx = recordingContext();
    const run = runSubprocess({ argv: ["/bin/sh", "-c", "echo bye; exit 3"], ctx });
    await expect(run).rejects.toThrow(new CommandError("command exited abnormally with code 3"));
    expect(ctx.logText()).toContain("> bye");
  });

  test("an executable that is not on PATH fails the command clearly", async () => {
    const run = runSubprocess({ argv: ["no-such-program-tablao"], ctx: recordingContext() });
    await expect(run).rejects.toThrow(/"no-such-program-tablao": executable file not found/);
  });

  test("abort stops the whole process group, grandchildren too, and counts as cancellation", async () => {
    const dir = tempDir();
    const pidFile = join(dir, "grandchild.pid");
    const ctx = recordingContext();
    const run = runSubprocess({
      argv: ["/bin/sh", "-c", `sleep 30 & echo $! > ${pidFile}; echo started; wait`],
      ctx,
    });
    await waitFor(
      "the grandchild to start",
      () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim(),
      5_000,
    );
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(alive(grandchild)).toBe(true);
    ctx.abort();
    await expect(run).rejects.toBeInstanceOf(CommandCancelled);
    await waitFor("the grandchild to be gone", () => !alive(grandchild), 5_000);
  });

  test("a child ignoring SIGTERM is killed after the grace period", async () => {
    const ctx = recordingContext({ killGraceMs: 200 });
    let ready = false;
    const run = runSubprocess({
      argv: ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
      ctx,
      onLine: (line) => (ready ||= line === "ready"),
    });
    await waitFor("the child to be ready", () => ready, 5_000);
    const started = performance.now();
    ctx.abort();
    await expect(run).rejects.toBeInstanceOf(CommandCancelled);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(3_000);
  });
});
