// Worker tags: named groups of workers that jobs can be restricted to. Deleting a tag drops its
// memberships and un-restricts its jobs (foreign keys do both).
import type { Db, Tx } from "../db/connection";
import {
  allWorkerTags,
  deleteWorkerTagById,
  insertWorkerTag,
  updateWorkerTag,
  workerTagNameTaken,
  workerTagUUIDTaken,
} from "../db/queries/worker-tags";
import type { WorkerTagRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { badRequest, conflict } from "../errors";
import { emitAfterCommit } from "../events/broker";
import { workerTagUpdate } from "../events/payloads";
import type { ChangeDeps } from "./deps";
import { requireTag } from "./lookup";

export interface TagInput {
  /** Only at creation: the UUID to use instead of a random one. */
  id?: string;
  name: string;
  description?: string;
}

export function listTags(db: Db): WorkerTagRow[] {
  return allWorkerTags(db);
}

function checkName(name: string): void {
  if (name.trim() === "") throw badRequest("a worker tag needs a non-empty name");
}

/** Flamenco answers a duplicate with a 500; it is the client's conflict. */
function refuseDuplicateName(tx: Tx, name: string, exceptId?: number): void {
  if (workerTagNameTaken(tx, name, exceptId)) {
    throw conflict(`a worker tag named ${JSON.stringify(name)} already exists`);
  }
}

export function createTag(deps: ChangeDeps, input: TagInput): WorkerTagRow {
  checkName(input.name);
  const uuid = input.id || crypto.randomUUID();
  const now = deps.clock.now();
  return inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    refuseDuplicateName(tx, input.name);
    if (workerTagUUIDTaken(tx, uuid)) {
      throw conflict(`a worker tag with id ${JSON.stringify(uuid)} already exists`);
    }
    const tag = insertWorkerTag(tx, {
      uuid,
      name: input.name,
      description: input.description ?? "",
      createdAt: now,
      updatedAt: now,
    });
    emit(workerTagUpdate(tag));
    return tag;
  });
}

/** The name is always replaced; the description only when given (it may be set to ""). */
export function updateTag(deps: ChangeDeps, tagUUID: string, input: TagInput): void {
  checkName(input.name);
  const now = deps.clock.now();
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const tag = requireTag(tx, tagUUID);
    refuseDuplicateName(tx, input.name, tag.id);
    const saved = updateWorkerTag(tx, tag.id, {
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      updatedAt: now,
    });
    emit(workerTagUpdate(saved));
  });
}

export function deleteTag(deps: ChangeDeps, tagUUID: string): void {
  inTransaction(deps.db, (tx) => {
    const emit = emitAfterCommit(deps.broker, tx);
    const tag = requireTag(tx, tagUUID);
    deleteWorkerTagById(tx, tag.id);
    emit(workerTagUpdate(tag, true));
  });
}
