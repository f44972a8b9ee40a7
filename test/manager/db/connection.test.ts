// The database handle: raw statements prepared on the connection, and the per-connection memo
// that holds each query module's prepared statements.
import { afterEach, expect, test } from "bun:test";
import type { Db } from "../../../src/manager/db/connection";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import { workerTags } from "../../../src/manager/db/schema";
import { inTransaction } from "../../../src/manager/db/transaction";

const opened: OpenedDatabase[] = [];
afterEach(() => opened.splice(0).forEach((d) => d.close()));
const open = () => {
  const d = openDatabase(":memory:");
  opened.push(d);
  return d.db;
};

const prepareTagByName = (db: Db) =>
  db.prepare<{ uuid: string }>("SELECT uuid FROM worker_tags WHERE name = $name");
const tagNamed = (db: Db, name: string) => db.memo(prepareTagByName).all({ name });

test("memo builds once per connection, shared by the database and its transactions", () => {
  let builds = 0;
  const build = () => ({ n: ++builds });
  const db = open();
  const outside = db.memo(build);
  const inside = inTransaction(db, (tx) => tx.memo(build));
  expect(inside).toBe(outside);
  expect(builds).toBe(1);

  expect(open().memo(build)).not.toBe(outside);
  expect(builds).toBe(2);
});

test("a raw statement binds parameters by name and runs in the caller's open transaction", () => {
  const db = open();
  inTransaction(db, (tx) => tx.orm.insert(workerTags).values({ uuid: "u-1", name: "gpu" }).run());
  expect(tagNamed(db, "gpu")).toEqual([{ uuid: "u-1" }]);
  expect(tagNamed(db, "cpu")).toEqual([]);

  expect(() =>
    inTransaction(db, (tx) => {
      tx.orm.insert(workerTags).values({ uuid: "u-2", name: "cpu" }).run();
      expect(tagNamed(db, "cpu")).toEqual([{ uuid: "u-2" }]);
      throw new Error("roll back");
    }),
  ).toThrow("roll back");
  expect(tagNamed(db, "cpu")).toEqual([]);
});

test("get answers null for no row; a missing parameter is an error, not a silent null", () => {
  const db = open();
  expect(db.prepare("SELECT uuid FROM worker_tags WHERE name = $name").get({ name: "x" })).toBeNull();
  expect(() => db.memo(prepareTagByName).all({})).toThrow();
});

test("a value behind a scalar subquery binds like a plain one and still seeks the index", () => {
  const db = open();
  inTransaction(db, (tx) => tx.orm.insert(workerTags).values({ uuid: "u-1", name: "gpu" }).run());
  const byName = db.prepare<{ uuid: string }>("SELECT uuid FROM worker_tags WHERE name = (SELECT $name)");
  expect(byName.all({ name: "gpu" })).toEqual([{ uuid: "u-1" }]);
  expect(byName.all({ name: "cpu" })).toEqual([]);
  const plan = db
    .prepare<{ detail: string }>(
      "EXPLAIN QUERY PLAN SELECT uuid FROM worker_tags WHERE name = (SELECT $name)",
    )
    .all({ name: "gpu" })
    .map((r) => r.detail)
    .join("\n");
  // A line of the plan must begin with the search (not, say, a subquery's line mentioning it).
  expect(plan).toMatch(/^SEARCH worker_tags USING (COVERING )?INDEX/m);
});
