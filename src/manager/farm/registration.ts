// Registration of new workers: who may register (the registration secret, or a caller trusted
// as operator), then a fresh UUID, the secret stored as a bcrypt hash, and the worker's
// self-description. No event: Flamenco announces workers only once they sign on.
import type { Clock } from "../../shared/clock";
import { REGISTRATION_SECRET_HEADER } from "../../shared/registration-secret";
import { roleIncludes, type Role } from "../auth/roles";
import { hashSecret, sameSecret } from "../auth/secrets";
import type { Db } from "../db/connection";
import { isDatabaseBusy } from "../db/errors";
import { insertWorker } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { ApiError, badRequest } from "../errors";
import { hashWorkerSecret } from "./auth";
import { createAuthThrottle } from "./auth-throttle";

/** Shortest worker secret accepted; both Flamenco's and Tablao's worker send 64 hex characters. */
export const WORKER_SECRET_MIN_CHARS = 16;

export interface RegistrationCaller {
  /** The role the access-control middleware granted; null without one. */
  role: Role | null;
  /** The REGISTRATION_SECRET_HEADER value, when sent. */
  presentedSecret: string | undefined;
  /** Wrong secrets are throttled per address, like wrong worker credentials. */
  address: string;
}

export type RegistrationRefusal =
  { status: 403; message: string } | { status: 429; message: string; retryAfterMs: number };

const HOW_TO_REGISTER =
  `send the Manager's auth.worker_registration_secret in the ${REGISTRATION_SECRET_HEADER} header ` +
  "(registration_secret in flamenco-worker.yaml of Tablao's worker), or register from a network " +
  "trusted as operator (auth.trusted_networks); Flamenco's worker cannot send the secret, so it " +
  "must register from a trusted network";

export interface RegistrationGuardDeps {
  clock: Clock;
  /** auth.worker_registration_secret, read per request; "" when not set. */
  configuredSecret: () => string;
}

/**
 * Decides whether a caller may register a worker: a caller whose role includes `operator` may;
 * anyone else only with the configured registration secret. Guesses of the secret are throttled
 * like worker credentials.
 */
export function createRegistrationGuard(deps: RegistrationGuardDeps) {
  const throttle = createAuthThrottle({ clock: deps.clock });

  return async function registrationRefusal(caller: RegistrationCaller): Promise<RegistrationRefusal | null> {
    if (caller.role !== null && roleIncludes(caller.role, "operator")) return null;
    if (caller.presentedSecret === undefined) {
      return { status: 403, message: `registering a worker needs permission: ${HOW_TO_REGISTER}` };
    }
    const configured = deps.configuredSecret();
    if (configured === "") {
      return {
        status: 403,
        message: `this Manager has no worker registration secret set, so ${REGISTRATION_SECRET_HEADER} cannot be accepted: ${HOW_TO_REGISTER}`,
      };
    }
    const admission = throttle.admit(caller.address);
    if (!admission.admitted) {
      return {
        status: 429,
        message: "too many wrong worker registration secrets from this address",
        retryAfterMs: admission.retryAfterMs,
      };
    }
    // Compared as digests, so the time taken does not even tell the secret's length.
    if (sameSecret(hashSecret(caller.presentedSecret), hashSecret(configured))) {
      throttle.succeeded(admission.ticket);
      return null;
    }
    await throttle.failed(admission.ticket);
    return { status: 403, message: `wrong worker registration secret: ${HOW_TO_REGISTER}` };
  };
}

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
  if ([...input.secret].length < WORKER_SECRET_MIN_CHARS) {
    throw badRequest(`a worker secret needs at least ${WORKER_SECRET_MIN_CHARS} characters`);
  }
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
