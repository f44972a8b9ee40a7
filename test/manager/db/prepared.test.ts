import { afterEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import { opaquePlaceholder, perConnection, prepareSql } from "../../../src/manager/db/prepared";
import { workerTags } from "../../../src/manager/db/schema";

const opened: OpenedDatabase[] = [];
afterEach(() => opened.splice(0).forEach((d) => d.close()));
const open = () => {
  const d = openDatabase(":memory:");
  opened.push(d);
  return d.db;
};

const tagNamed = perConnection((db) =>
  prepareSql<{ uuid: string }>(db, sql`SELECT uuid FROM worker_tags WHERE name = ${sql.placeholder("name")}`),
);

test("perConnection builds once per connection, shared by the database and its transactions", () => {
  let builds = 0;
  const counted = perConnection(() => ({ n: ++builds }));
  const db = open();
  const outside = counted(db);
  const inside = db.transaction((tx) => counted(tx));
  expect(inside).toBe(outside);
  expect(builds).toBe(1);

  expect(counted(open())).not.toBe(outside);
  expect(builds).toBe(2);
});

test("a prepared raw query binds placeholders by name and runs in the caller's open transaction", () => {
  const db = open();
  db.insert(workerTags).values({ uuid: "u-1", name: "gpu" }).run();
  expect(tagNamed(db).all({ name: "gpu" })).toEqual([{ uuid: "u-1" }]);
  expect(tagNamed(db).all({ name: "cpu" })).toEqual([]);

  expect(() =>
    db.transaction((tx) => {
      tx.insert(workerTags).values({ uuid: "u-2", name: "cpu" }).run();
      expect(tagNamed(db).all({ name: "cpu" })).toEqual([{ uuid: "u-2" }]);
      throw new Error("roll back");
    }),
  ).toThrow("roll back");
  expect(tagNamed(db).all({ name: "cpu" })).toEqual([]);
});

test("a missing placeholder value is an error, not a silent null", () => {
  expect(() => tagNamed(open()).all({})).toThrow();
});

test("an opaque placeholder binds like a plain one and still seeks the index", () => {
  const db = open();
  db.insert(workerTags).values({ uuid: "u-1", name: "gpu" }).run();
  const byName = prepareSql<{ uuid: string }>(
    db,
    sql`SELECT uuid FROM worker_tags WHERE name = ${opaquePlaceholder("name")}`,
  );
  expect(byName.all({ name: "gpu" })).toEqual([{ uuid: "u-1" }]);
  expect(byName.all({ name: "cpu" })).toEqual([]);
  const plan = prepareSql<{ detail: string }>(
    db,
    sql`EXPLAIN QUERY PLAN SELECT uuid FROM worker_tags WHERE name = ${opaquePlaceholder("name")}`,
  );
  expect(plan.all({ name: "gpu" }).map((r) => r.detail)).toContainEqual(
    expect.stringMatching(/^SEARCH worker_tags USING (COVERING )?INDEX/),
  );
});
