// Queries on API tokens and the dashboard sessions made with them. Secrets are looked up by
// their hash; nothing here ever sees a plaintext token.
import { asc, eq, lte, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { apiSessions, apiTokens, type ApiSessionRow, type ApiTokenRow } from "../schema";

function prepare(db: Db) {
  return {
    // Every request with a bearer token or a session cookie runs one of these two.
    tokenBySecretHash: db.orm
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.secretHash, sql.placeholder("hash")))
      .prepare(),
    sessionBySecretHash: db.orm
      .select({ session: apiSessions, token: apiTokens })
      .from(apiSessions)
      .innerJoin(apiTokens, eq(apiTokens.id, apiSessions.tokenId))
      .where(eq(apiSessions.secretHash, sql.placeholder("hash")))
      .prepare(),
  };
}

export function apiTokenBySecretHash(db: Db, hash: string): ApiTokenRow | undefined {
  return db.memo(prepare).tokenBySecretHash.get({ hash });
}

export function apiTokenByName(db: Db, name: string): ApiTokenRow | undefined {
  return db.orm.select().from(apiTokens).where(eq(apiTokens.name, name)).get();
}

export function apiTokenByUUID(db: Db, uuid: string): ApiTokenRow | undefined {
  return db.orm.select().from(apiTokens).where(eq(apiTokens.uuid, uuid)).get();
}

/** Every token, oldest first. */
export function allApiTokens(db: Db): ApiTokenRow[] {
  return db.orm.select().from(apiTokens).orderBy(asc(apiTokens.id)).all();
}

export type NewApiToken = Pick<
  typeof apiTokens.$inferInsert,
  "uuid" | "name" | "role" | "secretHash" | "expiresAt" | "createdAt" | "updatedAt"
>;

export function insertApiToken(tx: Tx, token: NewApiToken): ApiTokenRow {
  return tx.orm.insert(apiTokens).values(token).returning().get();
}

/** Deletes the token and, by the foreign key's cascade, its sessions. */
export function deleteApiToken(tx: Tx, id: number): void {
  tx.orm.delete(apiTokens).where(eq(apiTokens.id, id)).run();
}

export function setApiTokenLastUsed(tx: Tx, id: number, now: Date): void {
  tx.orm.update(apiTokens).set({ lastUsedAt: now, updatedAt: now }).where(eq(apiTokens.id, id)).run();
}

export function sessionWithTokenBySecretHash(
  db: Db,
  hash: string,
): { session: ApiSessionRow; token: ApiTokenRow } | undefined {
  return db.memo(prepare).sessionBySecretHash.get({ hash });
}

export type NewApiSession = Pick<
  typeof apiSessions.$inferInsert,
  "secretHash" | "tokenId" | "csrfToken" | "lastSeenAt" | "expiresAt" | "createdAt" | "updatedAt"
>;

export function insertApiSession(tx: Tx, session: NewApiSession): ApiSessionRow {
  return tx.orm.insert(apiSessions).values(session).returning().get();
}

export function setApiSessionLastSeen(tx: Tx, id: number, now: Date): void {
  tx.orm.update(apiSessions).set({ lastSeenAt: now, updatedAt: now }).where(eq(apiSessions.id, id)).run();
}

export function deleteApiSession(tx: Tx, id: number): void {
  tx.orm.delete(apiSessions).where(eq(apiSessions.id, id)).run();
}

/** Sessions past their absolute end, or not seen since `idleSince`. */
export function deleteStaleApiSessions(tx: Tx, now: Date, idleSince: Date): void {
  tx.orm
    .delete(apiSessions)
    .where(or(lte(apiSessions.expiresAt, now), lte(apiSessions.lastSeenAt, idleSince)))
    .run();
}
