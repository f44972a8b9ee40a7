// Queries on worker tags and their memberships.
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { workerTagMembership, workerTags, type WorkerTagRow } from "../schema";

/** Every tag, oldest first. */
export function allWorkerTags(db: Db): WorkerTagRow[] {
  return db.orm.select().from(workerTags).orderBy(asc(workerTags.id)).all();
}

export function workerTagByUUID(db: Db, uuid: string): WorkerTagRow | undefined {
  return db.orm.select().from(workerTags).where(eq(workerTags.uuid, uuid)).get();
}

export function workerTagById(db: Db, id: number): WorkerTagRow | undefined {
  return db.orm.select().from(workerTags).where(eq(workerTags.id, id)).get();
}

export function workerTagByName(db: Db, name: string): WorkerTagRow | undefined {
  return db.orm.select().from(workerTags).where(eq(workerTags.name, name)).get();
}

/** The worker's tags, oldest first. */
export function tagsOfWorker(db: Db, workerId: number): WorkerTagRow[] {
  return db.orm
    .select({ tag: workerTags })
    .from(workerTagMembership)
    .innerJoin(workerTags, eq(workerTags.id, workerTagMembership.workerTagId))
    .where(eq(workerTagMembership.workerId, workerId))
    .orderBy(asc(workerTags.id))
    .all()
    .map((r) => r.tag);
}

/** Whether a tag other than `exceptId` already has this name. */
export function workerTagNameTaken(db: Db, name: string, exceptId?: number): boolean {
  const clash = db.orm
    .select({ id: workerTags.id })
    .from(workerTags)
    .where(
      exceptId === undefined
        ? eq(workerTags.name, name)
        : and(eq(workerTags.name, name), ne(workerTags.id, exceptId)),
    )
    .get();
  return clash !== undefined;
}

export function workerTagUUIDTaken(db: Db, uuid: string): boolean {
  return (
    db.orm.select({ id: workerTags.id }).from(workerTags).where(eq(workerTags.uuid, uuid)).get() !== undefined
  );
}

export type NewWorkerTag = Pick<
  typeof workerTags.$inferInsert,
  "uuid" | "name" | "description" | "createdAt" | "updatedAt"
>;

export function insertWorkerTag(tx: Tx, tag: NewWorkerTag): WorkerTagRow {
  return tx.orm.insert(workerTags).values(tag).returning().get();
}

export type WorkerTagChanges = Partial<
  Pick<typeof workerTags.$inferInsert, "name" | "description" | "updatedAt">
>;

/** Writes `changes` and returns the tag as saved; a missing tag is a broken invariant. */
export function updateWorkerTag(tx: Tx, id: number, changes: WorkerTagChanges): WorkerTagRow {
  const saved = tx.orm.update(workerTags).set(changes).where(eq(workerTags.id, id)).returning().get();
  if (!saved) throw new Error(`worker tag ${id} does not exist`);
  return saved;
}

/** Removes the tag; its memberships go with it and its jobs are no longer restricted to it. */
export function deleteWorkerTagById(tx: Tx, id: number): void {
  tx.orm.delete(workerTags).where(eq(workerTags.id, id)).run();
}

/** Makes the worker a member of exactly the tags with these UUIDs; unknown UUIDs are skipped. */
export function replaceTagsOfWorker(tx: Tx, workerId: number, tagUUIDs: string[]): void {
  const found =
    tagUUIDs.length === 0
      ? []
      : tx.orm.select({ id: workerTags.id }).from(workerTags).where(inArray(workerTags.uuid, tagUUIDs)).all();
  tx.orm.delete(workerTagMembership).where(eq(workerTagMembership.workerId, workerId)).run();
  if (found.length > 0) {
    tx.orm
      .insert(workerTagMembership)
      .values(found.map((t) => ({ workerTagId: t.id, workerId })))
      .run();
  }
}
