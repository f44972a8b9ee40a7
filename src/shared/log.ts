// The logger of the Manager and the worker: one line per message on stderr, with a time stamp
// and a level, so the output reads well in a terminal and in `docker logs` alike.
//
// Messages carry user-supplied text (job, worker and file names), so control characters are
// escaped before writing: C0 (newline, CR, ESC, ...), DEL, C1 (including NEL) and the Unicode
// line and paragraph separators. Nobody can then start a fake log line or send terminal escape
// sequences through a name. This holds for our own multi-line messages too (stack traces): one
// event is always one line, with `\n` where the newlines were, so grep and log collectors never
// see a continuation line apart from its event. The escaping is for safety, not reversible: a
// backslash in the message is kept as it is (Windows paths stay readable).
//
// The `json` format writes one JSON object per line (`time`, `level`, `msg`) for log collectors;
// the same characters are escaped there, as JSON `\u` escapes.
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Logger {
  (level: LogLevel, msg: string): void;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return (
    SHORT_ESCAPES[c] ??
    (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`)
  );
}

/** `msg` with every control character written as an escape sequence, so it stays on one line. */
export function escapeControlChars(msg: string): string {
  return msg.replace(UNSAFE_CHARS, escapeChar);
}

/** JSON.stringify leaves DEL, C1 controls and U+2028/U+2029 as they are; these get `\u` escapes too. */
const UNSAFE_AFTER_JSON = /[\u007f-\u009f\u2028\u2029]/g;

function jsonLine(time: string, level: LogLevel, msg: string): string {
  return JSON.stringify({ time, level, msg }).replace(
    UNSAFE_AFTER_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export function createLogger(
  minLevel: LogLevel = "info",
  write: (s: string) => unknown = (s) => process.stderr.write(s),
  format: LogFormat = "text",
): Logger {
  return (level, msg) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
    const time = new Date().toISOString();
    write(
      format === "json"
        ? `${jsonLine(time, level, msg)}\n`
        : `${time} ${level.toUpperCase().padEnd(5)} ${escapeControlChars(msg)}\n`,
    );
  };
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = () => undefined;
