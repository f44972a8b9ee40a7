// The logger of the Manager and the worker: one line per message on stderr, with a time stamp
// and a level, so the output reads well in a terminal and in `docker logs` alike.
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  (level: LogLevel, msg: string): void;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(
  minLevel: LogLevel = "info",
  write = (s: string) => process.stderr.write(s),
): Logger {
  return (level, msg) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}\n`);
  };
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = () => undefined;
