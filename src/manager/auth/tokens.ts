// API tokens: creating (the secret is shown once and stored hashed), listing, revoking, and
// checking the secret a caller presents. Shared by the HTTP API and `bun run server -- token`.
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import {
  allApiTokens,
  apiTokenByName,
  apiTokenBySecretHash,
  apiTokenByUUID,
  deleteApiToken,
  insertApiToken,
  setApiTokenLastUsed,
} from "../db/queries/api-tokens";
import type { ApiTokenRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { badRequest, conflict } from "../errors";
import { isRole, type Role } from "./roles";
import { TOKEN_PREFIX, hashSecret, newSecret, sameSecret } from "./secrets";

/** `last_used_at` is stamped at most this often per token, not on every request. */
export const USAGE_STAMP_INTERVAL_MS = 60_000;
/** Names end up in logs and audit events: no spaces or control characters. */
const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A token as the rest of the Manager sees it: its row, and its role known to be a role. */
export interface ValidToken {
  row: ApiTokenRow;
  role: Role;
}

export type TokenCheck = { ok: true; token: ValidToken } | { ok: false; reason: string };

export interface NewToken {
  name: string;
  role: Role;
  expiresAt: Date | null;
}

export interface TokenStore {
  /** Throws a 400 for a bad name or a past expiry, a 409 when the name is taken. */
  create(input: NewToken): { row: ApiTokenRow; secret: string };
  list(): ApiTokenRow[];
  byName(name: string): ApiTokenRow | undefined;
  byUUID(uuid: string): ApiTokenRow | undefined;
  /** Deletes the token; its sessions go with it. */
  revoke(row: ApiTokenRow): void;
  /** The valid, unexpired token whose secret this is; stamps its use. */
  check(secret: string): TokenCheck;
  /** Records a use of the token (at most once per USAGE_STAMP_INTERVAL_MS). */
  stampUse(row: ApiTokenRow): void;
}

export function createTokenStore(deps: { db: Db; clock: Clock }): TokenStore {
  const { db, clock } = deps;

  const store: TokenStore = {
    create({ name, role, expiresAt }) {
      if (!TOKEN_NAME_PATTERN.test(name)) {
        throw badRequest(
          `invalid token name ${JSON.stringify(name)}: use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
        );
      }
      const now = clock.now();
      if (expiresAt && expiresAt.getTime() <= now.getTime()) {
        throw badRequest(`expiry ${expiresAt.toISOString()} is not in the future`);
      }
      const secret = newSecret(TOKEN_PREFIX);
      return inTransaction(db, (tx) => {
        if (apiTokenByName(tx, name)) throw conflict(`a token named ${JSON.stringify(name)} exists already`);
        const row = insertApiToken(tx, {
          uuid: crypto.randomUUID(),
          name,
          role,
          secretHash: hashSecret(secret),
          expiresAt,
          createdAt: now,
          updatedAt: now,
        });
        return { row, secret };
      });
    },

    list: () => allApiTokens(db),
    byName: (name) => apiTokenByName(db, name),
    byUUID: (uuid) => apiTokenByUUID(db, uuid),

    revoke(row) {
      inTransaction(db, (tx) => deleteApiToken(tx, row.id));
    },

    check(secret) {
      const hash = hashSecret(secret);
      const row = apiTokenBySecretHash(db, hash);
      if (!row || !sameSecret(row.secretHash, hash)) return { ok: false, reason: "unknown or revoked token" };
      const verdict = validity(row, clock.now());
      if (!verdict.ok) return verdict;
      store.stampUse(row);
      return verdict;
    },

    stampUse(row) {
      const now = clock.now();
      if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < USAGE_STAMP_INTERVAL_MS) return;
      inTransaction(db, (tx) => setApiTokenLastUsed(tx, row.id, now));
    },
  };
  return store;
}

/** Whether a stored token may be used now. */
export function validity(row: ApiTokenRow, now: Date): TokenCheck {
  if (!isRole(row.role)) return { ok: false, reason: `token ${row.name} has an unknown role` };
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
    return { ok: false, reason: `token ${row.name} expired at ${row.expiresAt.toISOString()}` };
  }
  return { ok: true, token: { row, role: row.role } };
}
