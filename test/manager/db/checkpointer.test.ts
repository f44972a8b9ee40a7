import { expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import {
  SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES,
  startCheckpointer,
  WAL_AUTOCHECKPOINT_PAGES,
} from "../../../src/manager/db/checkpointer";
import { openDatabase } from "../../../src/manager/db/open";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";

const newDir = tempDirs("tablao-checkpointer");

test("the thread copies the WAL into the database file while the Manager's connection only writes", async () => {
  const path = join(newDir(), "flamenco-manager.sqlite");
  const opened = openDatabase(path);
  const warnings: string[] = [];
  const checkpointer = startCheckpointer(opened.sqlite, path, (msg) => warnings.push(msg));
  try {
    const pragma = opened.sqlite.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint");
    expect(pragma.get()?.wal_autocheckpoint).toBe(WAL_AUTOCHECKPOINT_PAGES);
    const before = statSync(path).size;
    // About 2 MiB of new pages: far below the connection's own checkpoint threshold, so only
    // the thread can have moved them from the WAL into the file.
    opened.sqlite.exec("CREATE TABLE scratch (data BLOB)");
    const insert = opened.sqlite.prepare("INSERT INTO scratch (data) VALUES (randomblob(8192))");
    for (let i = 0; i < 256; i++) insert.run();
    await waitFor(
      "the database file to receive the new pages",
      () => statSync(path).size > before + 2_000_000,
    );
  } finally {
    await checkpointer.stop();
    opened.close();
  }
  expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
  expect(warnings).toEqual([]);
});

test("a thread that cannot open the database is reported once, and commits checkpoint as SQLite's default again", async () => {
  const dir = newDir();
  const path = join(dir, "flamenco-manager.sqlite");
  const opened = openDatabase(path);
  const warnings: string[] = [];
  const checkpointer = startCheckpointer(opened.sqlite, join(dir, "missing", "x.sqlite"), (msg) =>
    warnings.push(msg),
  );
  try {
    await waitFor("a warning", () => warnings.length > 0);
    expect(warnings[0]).toContain("background WAL checkpoint");
    const pragma = opened.sqlite.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint");
    expect(pragma.get()?.wal_autocheckpoint).toBe(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
    opened.sqlite.exec("CREATE TABLE scratch (n INTEGER)");
  } finally {
    await checkpointer.stop();
    opened.close();
  }
  expect(warnings).toHaveLength(1);
});
