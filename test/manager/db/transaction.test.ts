import { afterEach, describe, expect, test } from "bun:test";
import type { Db, Tx } from "../../../src/manager/db/connection";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import { workerTags } from "../../../src/manager/db/schema";
import {
  afterCommit,
  CommitFailedError,
  enableGroupCommit,
  inSharedTransaction,
  inTransaction,
} from "../../../src/manager/db/transaction";

const opened: OpenedDatabase[] = [];
afterEach(() => opened.splice(0).forEach((d) => d.close()));

function setup(groupCommit: boolean) {
  const d = openDatabase(":memory:");
  opened.push(d);
  const warnings: string[] = [];
  if (groupCommit) enableGroupCommit(d.db, (msg) => warnings.push(msg));
  const announced: string[] = [];
  return { db: d.db, sqlite: d.sqlite, announced, warnings };
}

const addTag = (tx: Tx, name: string) =>
  tx.orm
    .insert(workerTags)
    .values({ uuid: `u-${name}`, name })
    .run();
/** A change that adds tag `name` and announces it as `/name` after its commit. */
const addAndAnnounce = (tx: Tx, announced: string[], name: string) => {
  addTag(tx, name);
  tx.afterCommit(() => announced.push(`/${name}`));
};
const tagNames = (db: Db) =>
  db.orm
    .select({ name: workerTags.name })
    .from(workerTags)
    .all()
    .map((r) => r.name)
    .sort();

describe("without group commit", () => {
  test("each change commits on its own and runs its after-commit work right after", () => {
    const { db, sqlite, announced } = setup(false);
    inTransaction(db, (tx) => {
      addAndAnnounce(tx, announced, "a");
      expect(announced).toEqual([]);
    });
    expect(sqlite.inTransaction).toBe(false);
    expect(announced).toEqual(["/a"]);
  });

  test("a failing change rolls back and announces nothing; a failing nested change alone", () => {
    const { db, announced } = setup(false);
    expect(() =>
      inTransaction(db, (tx) => {
        addAndAnnounce(tx, announced, "gpu");
        throw new Error("nope");
      }),
    ).toThrow("nope");
    inTransaction(db, (tx) => {
      addAndAnnounce(tx, announced, "outer");
      expect(() =>
        inTransaction(tx, (inner) => {
          addAndAnnounce(inner, announced, "inner");
          throw new Error("inner fails");
        }),
      ).toThrow("inner fails");
    });
    expect(tagNames(db)).toEqual(["outer"]);
    expect(announced).toEqual(["/outer"]);
  });

  test("a shared change inside another change is part of it: settled by its commit, never by its rollback", async () => {
    const { db, sqlite, announced } = setup(false);
    let settledInside = false;
    const inner = inTransaction(db, (tx) => {
      const p = inSharedTransaction(tx, (t) => addAndAnnounce(t, announced, "inner"));
      void p.then(() => (settledInside = sqlite.inTransaction));
      addAndAnnounce(tx, announced, "outer");
      return p;
    });
    await inner;
    expect(settledInside).toBe(false);
    expect(announced).toEqual(["/inner", "/outer"]);

    let settled = false;
    expect(() =>
      inTransaction(db, (tx) => {
        void inSharedTransaction(tx, (t) => addAndAnnounce(t, announced, "lost")).then(
          () => (settled = true),
        );
        throw new Error("outer fails");
      }),
    ).toThrow("outer fails");
    // Anything the rolled-back change could have settled would have run within one turn.
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    expect(tagNames(db)).toEqual(["inner", "outer"]);
  });

  test("a shared change without group commit is committed before its promise resolves", async () => {
    const { db, sqlite, announced } = setup(false);
    const done = inSharedTransaction(db, (tx) => addAndAnnounce(tx, announced, "a"));
    expect(sqlite.inTransaction).toBe(false);
    await done;
    expect(announced).toEqual(["/a"]);
  });
});

describe("with group commit", () => {
  test("shared changes of one event-loop turn share one commit; their work follows it, in order", async () => {
    const { db, sqlite, announced } = setup(true);
    const a = inSharedTransaction(db, (tx) => addAndAnnounce(tx, announced, "a"));
    const b = inSharedTransaction(db, (tx) => {
      addAndAnnounce(tx, announced, "b");
      return "b's result";
    });
    // Visible on the connection at once, committed (and announced) at the end of the turn.
    expect(tagNames(db)).toEqual(["a", "b"]);
    expect(sqlite.inTransaction).toBe(true);
    expect(announced).toEqual([]);
    let settled = false;
    void a.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(await b).toBe("b's result");
    await a;
    expect(sqlite.inTransaction).toBe(false);
    expect(announced).toEqual(["/a", "/b"]);
  });

  test("a failing shared change rolls back alone, with its nested changes' work; its promise rejects", async () => {
    const { db, announced } = setup(true);
    const kept = inSharedTransaction(db, (tx) => addAndAnnounce(tx, announced, "kept"));
    const lost = inSharedTransaction(db, (tx) => {
      addAndAnnounce(tx, announced, "lost");
      inTransaction(tx, (inner) => addAndAnnounce(inner, announced, "nested-lost"));
      throw new Error("nope");
    });
    await expect(lost).rejects.toThrow("nope");
    await kept;
    expect(tagNames(db)).toEqual(["kept"]);
    expect(announced).toEqual(["/kept"]);
  });

  test("a change that does not share commits the pending shared one first, then itself at once", () => {
    const { db, sqlite, announced } = setup(true);
    void inSharedTransaction(db, (tx) => addAndAnnounce(tx, announced, "small"));
    inTransaction(db, (tx) => addAndAnnounce(tx, announced, "bulk"));
    expect(sqlite.inTransaction).toBe(false);
    expect(announced).toEqual(["/small", "/bulk"]);
    expect(tagNames(db)).toEqual(["bulk", "small"]);
  });

  test("afterCommit runs at once outside a change, in order inside one, never after a rollback", async () => {
    const { db, announced } = setup(true);
    afterCommit(db, () => announced.push("outside: at once"));
    const first = inSharedTransaction(db, (tx) => {
      tx.afterCommit(() => announced.push("/first"));
      afterCommit(db, () => announced.push("step"));
      tx.afterCommit(() => announced.push("/last"));
    });
    const rolledBack = inSharedTransaction(db, () => {
      afterCommit(db, () => announced.push("rolled back"));
      throw new Error("nope");
    });
    await expect(rolledBack).rejects.toThrow("nope");
    expect(announced).toEqual(["outside: at once"]);
    await first;
    expect(announced).toEqual(["outside: at once", "/first", "step", "/last"]);
  });

  test("a commit that fails rejects its waiters with CommitFailedError, drops their work and logs why", async () => {
    const { db, sqlite, announced, warnings } = setup(true);
    // A deferred foreign-key violation is only detected by COMMIT: a stand-in for a full disk.
    sqlite.exec(
      "CREATE TABLE child (tag_id INTEGER REFERENCES worker_tags(id) DEFERRABLE INITIALLY DEFERRED)",
    );
    const doomed = inSharedTransaction(db, (tx) => {
      tx.prepare("INSERT INTO child (tag_id) VALUES (12345)").run();
      addAndAnnounce(tx, announced, "doomed");
    });
    const failure = await doomed.then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(CommitFailedError);
    expect(String(failure)).toMatch(/could not save the change: .*FOREIGN KEY/);
    expect(announced).toEqual([]);
    expect(tagNames(db)).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^database commit failed, 1 event\(s\) and log line\(s\) dropped: .*FOREIGN KEY/,
    );

    // The next turn works again.
    await inSharedTransaction(db, (tx) => addTag(tx, "fine"));
    expect(tagNames(db)).toEqual(["fine"]);
  });
});
