// Worker credentials: bcrypt hashing of secrets at registration, and verification of
// (uuid, secret) pairs with a small cache, because bcrypt is slow by design and hundreds of
// polling workers would otherwise spend the Manager's CPU on re-verifying the same secret.
// Failed verifications are throttled per client address (./auth-throttle.ts).
import { systemClock, type Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import { workerByUUID } from "../db/queries/workers";
import type { WorkerRow } from "../db/schema";
import { badRequest } from "../errors";
import { createAuthThrottle, type ThrottleLimits, type ThrottleTicket } from "./auth-throttle";

/** Flamenco's cost (bcrypt's minimum): secrets are 256 random bits, not human passwords. */
export const SECRET_BCRYPT_COST = 4;
/** bcrypt only reads this many bytes; longer secrets are refused rather than truncated. */
export const SECRET_MAX_BYTES = 72;
export const AUTH_CACHE_MAX_ENTRIES = 10_000;

export async function hashWorkerSecret(secret: string): Promise<string> {
  if (Buffer.byteLength(secret, "utf8") > SECRET_MAX_BYTES) {
    throw badRequest(`error hashing password: the secret is longer than ${SECRET_MAX_BYTES} bytes`);
  }
  return Bun.password.hash(secret, { algorithm: "bcrypt", cost: SECRET_BCRYPT_COST });
}

export type AuthFailure = "no auth header found" | "no such worker known";
export type AuthResult =
  | { ok: true; worker: WorkerRow }
  | { ok: false; cause: AuthFailure }
  /** Too many failures from the caller's address: refused without checking anything. */
  | { ok: false; cause: "throttled"; retryAfterMs: number };

export interface Credentials {
  uuid: string;
  secret: string;
}

/** Parses an HTTP Basic `Authorization` header the way Go's `Request.BasicAuth` does. */
export function parseBasicAuth(header: string | undefined | null): Credentials | null {
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== "basic ") return null;
  const encoded = header.slice(6);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return null;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { uuid: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** What a cache entry vouches for: this worker, as long as its stored hash is unchanged. */
interface VerifiedPair {
  uuid: string;
  storedHash: string;
}

export interface WorkerAuthDeps {
  db: Db;
  /** Paces the answers to failed attempts; the system clock when not given. */
  clock?: Clock;
  /** Tests use smaller limits than ./auth-throttle.ts's defaults. */
  throttleLimits?: Partial<ThrottleLimits>;
}

export function createWorkerAuth(deps: WorkerAuthDeps) {
  const { db } = deps;
  const throttle = createAuthThrottle({ clock: deps.clock ?? systemClock, limits: deps.throttleLimits });
  /**
   * SHA-256 digests of (client address, Authorization header) pairs verified with bcrypt, so a
   * repeated header costs one hash instead of a parse and a bcrypt run; insertion order gives
   * FIFO eviction. The address is part of the key because remembered headers are answered even
   * while their address is throttled: an attacker elsewhere must not be able to test guesses
   * against them unthrottled.
   */
  const verified = new Map<string, VerifiedPair>();
  let dummyHash: Promise<string> | null = null;

  async function verify(key: string, creds: Credentials, ticket: ThrottleTicket): Promise<AuthResult> {
    const worker = workerByUUID(db, creds.uuid);
    // Verify against some bcrypt hash anyway, so an unknown UUID costs as much as a bad secret.
    const valid = await verifySecret(creds.secret, worker?.secret ?? (await unknownWorkerHash()));
    if (!worker || !valid) {
      await throttle.failed(ticket);
      return { ok: false, cause: "no such worker known" };
    }
    throttle.succeeded(ticket);
    remember(key, { uuid: creds.uuid, storedHash: worker.secret });
    return { ok: true, worker };
  }

  function remember(key: string, pair: VerifiedPair): void {
    if (verified.size >= AUTH_CACHE_MAX_ENTRIES) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(key, pair);
  }

  function unknownWorkerHash(): Promise<string> {
    dummyHash ??= Bun.password.hash(crypto.randomUUID(), {
      algorithm: "bcrypt",
      cost: SECRET_BCRYPT_COST,
    });
    return dummyHash;
  }

  return {
    /**
     * Answers synchronously (no promise) for a header verified before from the same address
     * while the worker's stored secret is unchanged, the common case on every worker call; also
     * when the address is throttled. Otherwise verifies it with bcrypt; a failure is answered
     * after the throttle's delay.
     */
    authenticate(header: string | undefined | null, address: string): AuthResult | Promise<AuthResult> {
      if (!header) return { ok: false, cause: "no auth header found" };
      const key = Bun.SHA256.hash(`${address}\n${header}`, "base64");
      const cached = verified.get(key);
      if (cached) {
        const worker = workerByUUID(db, cached.uuid);
        if (worker?.secret === cached.storedHash) return { ok: true, worker };
        verified.delete(key);
      }
      // A malformed header is refused without a check, so it costs nothing and is not counted.
      const creds = parseBasicAuth(header);
      if (!creds) return { ok: false, cause: "no auth header found" };
      const admission = throttle.admit(address);
      if (!admission.admitted) return { ok: false, cause: "throttled", retryAfterMs: admission.retryAfterMs };
      return verify(key, creds, admission.ticket);
    },
  };
}

export type WorkerAuth = ReturnType<typeof createWorkerAuth>;

async function verifySecret(secret: string, hash: string): Promise<boolean> {
  try {
    return await Bun.password.verify(secret, hash, "bcrypt");
  } catch {
    // Not a hash Bun understands (e.g. a damaged row): treat as a wrong secret.
    return false;
  }
}
