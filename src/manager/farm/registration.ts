// Registration of new workers: a fresh UUID, the secret stored as a bcrypt hash, and the
// worker's self-description. No event: Flamenco announces workers only once they sign on.
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import { isDatabaseBusy } from "../db/errors";
import { insertWorker } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { ApiError, badRequest } from "../errors";
import { hashWorkerSecret } from "./auth";

export interface WorkerRegistrationInput {
  name: string;
  secret: string;
  platform: string;
  supportedTaskTypes: string[];
}

/**
 * Trimmed, lower-cased, without empty entries, comma-joined (the scheduler matches task types
 * exactly). Flamenco only normalises at sign-on and echoes `[""]` for an empty list.
 */
export function joinTaskTypes(types: string[]): string {
  return types
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "")
    .join(",");
}

export function splitTaskTypes(stored: string): string[] {
  return stored === "" ? [] : stored.split(",");
}

export async function registerWorker(
  db: Db,
  clock: Clock,
  input: WorkerRegistrationInput,
  address: string,
): Promise<WorkerRow> {
  if (input.name.trim() === "") throw badRequest("a worker needs a non-empty name");
  if (input.secret === "") throw badRequest("a worker needs a non-empty secret");
  const secret = await hashWorkerSecret(input.secret);
  const now = clock.now();
  try {
    return inTransaction(db, (tx) =>
      insertWorker(tx, {
        uuid: crypto.randomUUID(),
        name: input.name,
        secret,
        platform: input.platform,
        address,
        supportedTaskTypes: joinTaskTypes(input.supportedTaskTypes),
        createdAt: now,
        updatedAt: now,
      }),
    );
  } catch (err) {
    if (isDatabaseBusy(err)) throw new ApiError(503, "too busy to register worker, try again later");
    throw err;
  }
}
