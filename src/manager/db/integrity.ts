// SQLite's own consistency checks, read as lists of findings: `PRAGMA integrity_check` (pages,
// b-trees, indexes against their tables) and `PRAGMA foreign_key_check` (rows whose parent row is
// missing, which foreign keys normally prevent). Used by the maintenance thread (backup/) and `restore`.
import type { Database } from "bun:sqlite";

/** What integrity_check found, at most `max` findings; empty for a sound database. */
export function integrityProblems(conn: Database, max: number): string[] {
  const lines = conn
    .query<{ integrity_check: string }, []>(`PRAGMA integrity_check(${max})`)
    .all()
    // Recent SQLite puts several findings in one row, under a "*** in database main ***" line.
    .flatMap((row) => row.integrity_check.split("\n"))
    .filter((line) => line !== "" && !line.startsWith("***"));
  return lines.join() === "ok" ? [] : lines;
}

/** Rows that refer to a missing row, described, at most `max` of them plus a count of the rest. */
export function foreignKeyProblems(conn: Database, max: number): string[] {
  const orphans = conn
    .query<{ table: string; rowid: number | null; parent: string }, []>("PRAGMA foreign_key_check")
    .all();
  const problems = orphans
    .slice(0, max)
    .map((o) => `row ${o.rowid ?? "?"} of ${o.table} refers to a missing row of ${o.parent}`);
  if (orphans.length > max) problems.push(`... and ${orphans.length - max} more such rows`);
  return problems;
}
