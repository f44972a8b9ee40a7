import { expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase, SQLITE_CACHE_MIB } from "../../../src/manager/db/open";
import { tempDirs } from "../../support/temp-dirs";

const newDir = tempDirs("tablao-open");

test("a database file opens with the Manager's pragmas on its connection", () => {
  const opened = openDatabase(join(newDir(), "flamenco-manager.sqlite"));
  try {
    /** The value of a one-column PRAGMA row (its column is named after the pragma). */
    const pragma = (name: string): unknown => {
      const row = opened.sqlite.query<Record<string, unknown>, []>(`PRAGMA ${name}`).get();
      if (!row) throw new Error(`PRAGMA ${name} returned no row`);
      return Object.values(row)[0];
    };
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(1); // NORMAL
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("temp_store")).toBe(2); // MEMORY
    // Negative: KiB rather than pages.
    expect(pragma("cache_size")).toBe(-SQLITE_CACHE_MIB * 1024);
  } finally {
    opened.close();
  }
});
