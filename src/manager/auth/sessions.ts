// Dashboard sessions: logging in with a token gives a session cookie (its secret stored hashed)
// and a CSRF token the dashboard sends back on every change. Sessions end when idle too long,
// at their absolute end, on logout, and when their token is revoked or expires.
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import {
  deleteApiSession,
  deleteStaleApiSessions,
  insertApiSession,
  sessionWithTokenBySecretHash,
  setApiSessionLastSeen,
} from "../db/queries/api-tokens";
import type { ApiSessionRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { hashSecret, newSecret, sameSecret } from "./secrets";
import { USAGE_STAMP_INTERVAL_MS, validity, type TokenStore, type ValidToken } from "./tokens";

export const SESSION_COOKIE = "tablao_session";
export const SESSION_IDLE_TIMEOUT_MS = 12 * 60 * 60_000;
export const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

export interface Session {
  row: ApiSessionRow;
  token: ValidToken;
}

export interface SessionStore {
  /** A new session for a token that was just checked; `secret` goes into the cookie. */
  login(token: ValidToken): { session: Session; secret: string };
  /** The live session of a cookie's secret, or null; stamps its use. */
  resolve(secret: string): Session | null;
  logout(session: Session): void;
}

export function createSessionStore(deps: { db: Db; clock: Clock; tokens: TokenStore }): SessionStore {
  const { db, clock, tokens } = deps;
  return {
    login(token) {
      const now = clock.now();
      const secret = newSecret();
      const row = inTransaction(db, (tx) => {
        // Logins are rare: the natural moment to forget the sessions nobody ended.
        deleteStaleApiSessions(tx, now, new Date(now.getTime() - SESSION_IDLE_TIMEOUT_MS));
        return insertApiSession(tx, {
          secretHash: hashSecret(secret),
          tokenId: token.row.id,
          csrfToken: newSecret(),
          lastSeenAt: now,
          expiresAt: new Date(now.getTime() + SESSION_MAX_AGE_MS),
          createdAt: now,
          updatedAt: now,
        });
      });
      return { session: { row, token }, secret };
    },

    resolve(secret) {
      const hash = hashSecret(secret);
      const found = sessionWithTokenBySecretHash(db, hash);
      if (!found || !sameSecret(found.session.secretHash, hash)) return null;
      const now = clock.now();
      const { session, token } = found;
      if (session.expiresAt.getTime() <= now.getTime()) return null;
      const idleMs = now.getTime() - session.lastSeenAt.getTime();
      if (idleMs >= SESSION_IDLE_TIMEOUT_MS) return null;
      const verdict = validity(token, now);
      if (!verdict.ok) return null;
      // Like the token's last use: stamped at most once a minute, not on every request.
      if (idleMs >= USAGE_STAMP_INTERVAL_MS)
        inTransaction(db, (tx) => setApiSessionLastSeen(tx, session.id, now));
      tokens.stampUse(token);
      return { row: session, token: verdict.token };
    },

    logout(session) {
      inTransaction(db, (tx) => deleteApiSession(tx, session.row.id));
    },
  };
}
