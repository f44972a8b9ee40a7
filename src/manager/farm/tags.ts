// Worker tags: named groups of workers that jobs can be restricted to. Deleting a tag drops its
// memberships and un-restricts its jobs (foreign keys do both).
import { and, asc, eq, ne } from "drizzle-orm";
import { workerTagMembership, workerTags, type WorkerTagRow } from "../db/schema";
import { inTransaction, type Tx } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import { badRequest, conflict } from "../errors";
import { workerTagUpdate } from "../events/payloads";
import type { ChangeDeps } from "./deps";
import { requireTag } from "./lookup";

export interface TagInput {
  /** Only at creation: the UUID to use instead of a random one. */
  id?: string;
  name: string;
  description?: string;
}

export function listTags(db: DbOrTx): WorkerTagRow[] {
  return db.select().from(workerTags).orderBy(asc(workerTags.id)).all();
}

export function tagsOfWorker(db: DbOrTx, workerId: number): WorkerTagRow[] {
  return db
    .select({ tag: workerTags })
    .from(workerTagMembership)
    .innerJoin(workerTags, eq(workerTags.id, workerTagMembership.workerTagId))
    .where(eq(workerTagMembership.workerId, workerId))
    .orderBy(asc(workerTags.id))
    .all()
    .map((r) => r.tag);
}

function checkName(name: string): void {
  if (name.trim() === "") throw badRequest("a worker tag needs a non-empty name");
}

/** Flamenco answers a duplicate with a 500; it is the client's conflict. */
function refuseDuplicateName(tx: Tx, name: string, exceptId?: number): void {
  const clash = tx
    .select({ id: workerTags.id })
    .from(workerTags)
    .where(
      exceptId === undefined
        ? eq(workerTags.name, name)
        : and(eq(workerTags.name, name), ne(workerTags.id, exceptId)),
    )
    .get();
  if (clash) throw conflict(`a worker tag named ${JSON.stringify(name)} already exists`);
}

export function createTag(deps: ChangeDeps, input: TagInput): WorkerTagRow {
  checkName(input.name);
  const uuid = input.id || crypto.randomUUID();
  const now = deps.clock.now();
  return inTransaction(deps.db, deps.broker, (tx, emit) => {
    refuseDuplicateName(tx, input.name);
    if (tx.select({ id: workerTags.id }).from(workerTags).where(eq(workerTags.uuid, uuid)).get()) {
      throw conflict(`a worker tag with id ${JSON.stringify(uuid)} already exists`);
    }
    const tag = tx
      .insert(workerTags)
      .values({
        uuid,
        name: input.name,
        description: input.description ?? "",
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(workerTagUpdate(tag));
    return tag;
  });
}

/** The name is always replaced; the description only when given (it may be set to ""). */
export function updateTag(deps: ChangeDeps, tagUUID: string, input: TagInput): void {
  checkName(input.name);
  const now = deps.clock.now();
  inTransaction(deps.db, deps.broker, (tx, emit) => {
    const tag = requireTag(tx, tagUUID);
    refuseDuplicateName(tx, input.name, tag.id);
    const saved = tx
      .update(workerTags)
      .set({
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        updatedAt: now,
      })
      .where(eq(workerTags.id, tag.id))
      .returning()
      .get();
    emit(workerTagUpdate(saved));
  });
}

export function deleteTag(deps: ChangeDeps, tagUUID: string): void {
  inTransaction(deps.db, deps.broker, (tx, emit) => {
    const tag = requireTag(tx, tagUUID);
    tx.delete(workerTags).where(eq(workerTags.id, tag.id)).run();
    emit(workerTagUpdate(tag, true));
  });
}
