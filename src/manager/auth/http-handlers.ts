// Handlers of the `tablao-auth` operations (src/manager/api/routes/tablao-auth.ts): the
// caller's session, logging in and out, and API token management.
import { deleteCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { Handlers } from "../api/handlers/registry";
import { errorBody } from "../api/http";
import type { ApiTokenRow } from "../db/schema";
import { notFound } from "../errors";
import { tokenPrincipal, type AccessControl } from "./access-control";
import type { Principal } from "./principal";
import { isRole } from "./roles";
import { SESSION_COOKIE, SESSION_MAX_AGE_MS, type Session } from "./sessions";

function tokenView(row: ApiTokenRow) {
  // Tokens are only ever stored with a role; anything else is a hand-edited database.
  if (!isRole(row.role)) throw new Error(`token ${row.name} has the unknown role ${row.role}`);
  return {
    id: row.uuid,
    name: row.name,
    role: row.role,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    expires_at: row.expiresAt?.toISOString() ?? null,
  };
}

function sessionView(principal: Principal, session: Session | null) {
  const { role, name, via } = principal;
  return session ? { role, name, via, csrf_token: session.row.csrfToken } : { role, name, via };
}

function cookieOptions(https: boolean): CookieOptions {
  return { httpOnly: true, sameSite: "Strict", path: "/", secure: https };
}

export function authHandlers(access: AccessControl): Handlers {
  return {
    getTablaoSession: (c) => c.json(sessionView(c.var.principal, c.var.session), 200),

    createTablaoSession: (c) => {
      const check = access.tokens.check(c.req.valid("json").token);
      if (!check.ok) return c.json(errorBody(401, `authentication required: ${check.reason}`), 401);
      const { session, secret } = access.sessions.login(check.token);
      setCookie(c, SESSION_COOKIE, secret, {
        ...cookieOptions(c.var.https),
        maxAge: Math.floor(SESSION_MAX_AGE_MS / 1000),
      });
      const principal = tokenPrincipal(check.token, "session", c.var.principal.address);
      return c.json(sessionView(principal, session), 200);
    },

    deleteTablaoSession: (c) => {
      if (c.var.session) access.sessions.logout(c.var.session);
      deleteCookie(c, SESSION_COOKIE, cookieOptions(c.var.https));
      return c.body(null, 204);
    },

    fetchTablaoTokens: (c) => c.json({ tokens: access.tokens.list().map(tokenView) }, 200),

    createTablaoToken: (c) => {
      const { name, role, expires_at } = c.req.valid("json");
      const { row, secret } = access.tokens.create({
        name,
        role,
        expiresAt: expires_at ? new Date(expires_at) : null,
      });
      return c.json({ ...tokenView(row), token: secret }, 201);
    },

    deleteTablaoToken: (c) => {
      const row = access.tokens.byUUID(c.req.valid("param").token_id.toLowerCase());
      if (!row) throw notFound("no such token");
      access.tokens.revoke(row);
      return c.body(null, 204);
    },
  };
}
