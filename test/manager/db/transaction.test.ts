import { afterEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { createEventBroker, type BrokerEvent, type EventBroker } from "../../../src/manager/events/broker";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import { workerTags } from "../../../src/manager/db/schema";
import {
  afterCommit,
  commitSettled,
  enableGroupCommit,
  inTransaction,
  type TransactionOptions,
} from "../../../src/manager/db/transaction";
import type { Db } from "../../../src/manager/db/types";

const opened: OpenedDatabase[] = [];
afterEach(() => opened.splice(0).forEach((d) => d.close()));

function setup(groupCommit: boolean) {
  const d = openDatabase(":memory:");
  opened.push(d);
  const warnings: string[] = [];
  if (groupCommit) enableGroupCommit(d.db, (msg) => warnings.push(msg));
  const broker = createEventBroker();
  const published: string[] = [];
  broker.listen((e) => published.push(e.topic));
  return { db: d.db, sqlite: d.sqlite, broker, published, warnings };
}

const event = (topic: string): BrokerEvent => ({ topic, event: "/jobs", payload: {} });
const addTag = (db: Db, name: string) =>
  db
    .insert(workerTags)
    .values({ uuid: `u-${name}`, name })
    .run();
/** A change that adds tag `name` and announces it as `/name`. */
const addAndAnnounce = (db: Db, broker: EventBroker, name: string, opts?: TransactionOptions) =>
  inTransaction(
    db,
    broker,
    (_tx, emit) => {
      addTag(db, name);
      emit(event(`/${name}`));
    },
    opts,
  );
const tagNames = (db: Db) =>
  db
    .select({ name: workerTags.name })
    .from(workerTags)
    .all()
    .map((r) => r.name)
    .sort();

describe("without group commit", () => {
  test("each change commits on its own and publishes its events right after", () => {
    const { db, sqlite, broker, published } = setup(false);
    inTransaction(db, broker, (tx, emit) => {
      addTag(tx as unknown as Db, "gpu");
      emit(event("/a"));
      expect(published).toEqual([]);
    });
    expect(sqlite.inTransaction).toBe(false);
    expect(published).toEqual(["/a"]);
  });

  test("a failing change rolls back and publishes nothing; a failing nested change alone", () => {
    const { db, broker, published } = setup(false);
    expect(() =>
      inTransaction(db, broker, (_tx, emit) => {
        addTag(db, "gpu");
        emit(event("/lost"));
        throw new Error("nope");
      }),
    ).toThrow("nope");
    inTransaction(db, broker, (_tx, emit) => {
      addTag(db, "cpu");
      emit(event("/outer"));
      expect(() =>
        inTransaction(db, broker, (_tx2, emit2) => {
          addTag(db, "inner");
          emit2(event("/inner"));
          throw new Error("inner fails");
        }),
      ).toThrow("inner fails");
    });
    expect(tagNames(db)).toEqual(["cpu"]);
    expect(published).toEqual(["/outer"]);
  });
});

const shared = { shared: true };

describe("with group commit", () => {
  test("shared changes of one event-loop turn share one commit; events follow it, in order", async () => {
    const { db, sqlite, broker, published } = setup(true);
    addAndAnnounce(db, broker, "a", shared);
    addAndAnnounce(db, broker, "b", shared);
    // Visible on the connection at once, committed (and announced) at the end of the turn.
    expect(tagNames(db)).toEqual(["a", "b"]);
    expect(sqlite.inTransaction).toBe(true);
    expect(published).toEqual([]);
    await commitSettled(db);
    expect(sqlite.inTransaction).toBe(false);
    expect(published).toEqual(["/a", "/b"]);
  });

  test("a failing change rolls back alone, with its events and those of its nested changes", async () => {
    const { db, broker, published } = setup(true);
    addAndAnnounce(db, broker, "kept", shared);
    expect(() =>
      inTransaction(
        db,
        broker,
        (_tx, emit) => {
          addTag(db, "lost");
          inTransaction(db, broker, (_tx2, emit2) => emit2(event("/nested-lost")));
          emit(event("/lost"));
          throw new Error("nope");
        },
        shared,
      ),
    ).toThrow("nope");
    await commitSettled(db);
    expect(tagNames(db)).toEqual(["kept"]);
    expect(published).toEqual(["/kept"]);
  });

  test("a change that does not share commits the pending shared one first, then itself at once", () => {
    const { db, sqlite, broker, published } = setup(true);
    addAndAnnounce(db, broker, "small", shared);
    addAndAnnounce(db, broker, "bulk");
    expect(sqlite.inTransaction).toBe(false);
    expect(published).toEqual(["/small", "/bulk"]);
    expect(tagNames(db)).toEqual(["bulk", "small"]);
  });

  test("afterCommit steps run in order with the events once committed, and never after a rollback", async () => {
    const { db, broker, published } = setup(true);
    afterCommit(db, () => published.push("outside: at once"));
    inTransaction(
      db,
      broker,
      (_tx, emit) => {
        emit(event("/first"));
        afterCommit(db, () => published.push("step"));
        emit(event("/last"));
      },
      shared,
    );
    expect(() =>
      inTransaction(
        db,
        broker,
        () => {
          afterCommit(db, () => published.push("rolled back"));
          throw new Error("nope");
        },
        shared,
      ),
    ).toThrow("nope");
    expect(published).toEqual(["outside: at once"]);
    await commitSettled(db);
    expect(published).toEqual(["outside: at once", "/first", "step", "/last"]);
  });

  test("commitSettled resolves at once when nothing is pending", async () => {
    const { db } = setup(true);
    let settled = false;
    void commitSettled(db).then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(true);
  });

  test("a commit that fails rejects its waiters, drops its events and logs why", async () => {
    const { db, sqlite, broker, published, warnings } = setup(true);
    // A deferred foreign-key violation is only detected by COMMIT: a stand-in for a full disk.
    sqlite.exec(
      "CREATE TABLE child (tag_id INTEGER REFERENCES worker_tags(id) DEFERRABLE INITIALLY DEFERRED)",
    );
    inTransaction(
      db,
      broker,
      (_tx, emit) => {
        db.run(sql`INSERT INTO child (tag_id) VALUES (12345)`);
        addTag(db, "doomed");
        emit(event("/doomed"));
      },
      shared,
    );
    await expect(commitSettled(db)).rejects.toThrow(/FOREIGN KEY/);
    expect(published).toEqual([]);
    expect(tagNames(db)).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^database commit failed, 1 event\(s\) and log line\(s\) dropped: .*FOREIGN KEY/,
    );

    // The next turn works again.
    inTransaction(db, broker, () => addTag(db, "fine"), shared);
    await commitSettled(db);
    expect(db.select().from(workerTags).where(eq(workerTags.name, "fine")).all()).toHaveLength(1);
  });
});
