// Recognising SQLite's own failures where callers answer them differently from other errors.

/** SQLITE_BUSY and its extended codes: another writer held the database past busy_timeout. */
export function isDatabaseBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
