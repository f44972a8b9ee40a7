// `PRAGMA integrity_check` on a Manager's database while no Manager runs on it: opened read-only
// with bun:sqlite, so the check itself cannot repair or change anything.
import { Database } from "bun:sqlite";

/** "ok", or SQLite's list of problems (or the reason the file could not be opened). */
export function integrityCheck(databasePath: string): string {
  let db: Database | null = null;
  try {
    db = new Database(databasePath, { readonly: true });
    const rows = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    return rows.map((r) => r.integrity_check).join("; ");
  } catch (err) {
    return `cannot check: ${(err as Error).message}`;
  } finally {
    db?.close();
  }
}
