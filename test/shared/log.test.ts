// The shared logger (src/shared/log.ts): one event is one line, whatever the message holds.
import { expect, test } from "bun:test";
import { createLogger, escapeControlChars } from "../../src/shared/log";

/** A logger writing into an array, and the lines it wrote. */
function capture(minLevel: Parameters<typeof createLogger>[0] = "debug") {
  const written: string[] = [];
  const log = createLogger(minLevel, (s) => void written.push(s));
  return { log, written };
}

const LINE_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) /;

test("a job name cannot start a forged log line", () => {
  const { log, written } = capture();
  const name = 'render"\n2024-01-01T00:00:00.000Z ERROR worker deleted all jobs\r\n';
  log("info", `job "${name}" submitted without type_etag; not checking it`);
  expect(written).toHaveLength(1);
  const [line] = written;
  expect(line).toMatch(LINE_START);
  expect(line!.endsWith("\n")).toBe(true);
  expect(line!.slice(0, -1)).not.toMatch(/[\n\r]/);
  expect(line).toContain('render"\\n2024-01-01T00:00:00.000Z ERROR worker deleted all jobs\\r\\n" submitted');
});

test("terminal escapes, C1 controls and Unicode line separators are written as escapes", () => {
  expect(escapeControlChars("\x1b[2J\x1b]0;owned\x07")).toBe("\\x1b[2J\\x1b]0;owned\\x07");
  expect(escapeControlChars("a\tb\0c\x7fd")).toBe("a\\tb\\x00c\\x7fd");
  expect(escapeControlChars("next\u0085line\u009bcsi")).toBe("next\\x85line\\x9bcsi");
  expect(escapeControlChars("one\u2028two\u2029three")).toBe("one\\u2028two\\u2029three");
});

test("ordinary text, including backslashes and non-ASCII, is kept as it is", () => {
  const text = "C:\\Users\\Ana\\Ünïcödé render (shot 010) — 100%";
  expect(escapeControlChars(text)).toBe(text);
});

test("a stack trace stays one line, its newlines escaped", () => {
  const { log, written } = capture();
  const err = new Error("boom");
  log("error", `internal error on GET /x: ${err.stack}`);
  expect(written).toHaveLength(1);
  expect(written[0]!.slice(0, -1)).not.toContain("\n");
  expect(written[0]).toContain("boom\\n    at ");
});

test("messages below the minimum level are not written", () => {
  const { log, written } = capture("warn");
  log("info", "quiet");
  log("warn", "loud");
  expect(written).toHaveLength(1);
  expect(written[0]).toMatch(/WARN  loud\n$/);
});

test("json format: one parseable object per line, the message intact, nothing unsafe left raw", () => {
  const written: string[] = [];
  const log = createLogger("info", (s) => void written.push(s), "json");
  const msg = 'job "a\nb" \x1b[2J\u0085\u2028 C:\\renders';
  log("warn", msg);
  log("debug", "below the level");
  expect(written).toHaveLength(1);
  const [line] = written;
  expect(line!.endsWith("\n")).toBe(true);
  expect(line!.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  const parsed = JSON.parse(line!) as Record<string, unknown>;
  expect(parsed).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: "warn", msg });
});
