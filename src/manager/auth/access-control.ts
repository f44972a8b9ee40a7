// Access control of the Manager's HTTP API: who the caller is (bearer token, else session
// cookie, else the trusted network they call from, else nobody), whether the route's declared
// access lets them in, the CSRF check of cookie sessions, and the audit of operator and admin
// changes. Rules and defaults: docs/security.md.
import type { MiddlewareHandler } from "hono";
import { parse as parseCookies } from "hono/utils/cookie";
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import type { EventBroker } from "../events/broker";
import { errorBody, type ApiEnv } from "../api/http";
import type { Access, GuardedRoute } from "./access";
import { createAudit } from "./audit";
import { createNetworkTrust, type NetworkSettings } from "./networks";
import type { Principal } from "./principal";
import { roleIncludes, type Role } from "./roles";
import { sameSecret } from "./secrets";
import { SESSION_COOKIE, createSessionStore, type Session, type SessionStore } from "./sessions";
import { createTokenStore, type TokenStore, type ValidToken } from "./tokens";

const CSRF_HEADER = "X-CSRF-Token";
/** Methods that change nothing: no CSRF token needed, never audited. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Roles whose changes are audited. */
const AUDITED_ROLES: ReadonlySet<Access> = new Set<Access>(["operator", "admin"]);

/** Who a request comes from, as far as the Manager can tell. */
interface Resolution {
  principal: Principal;
  /** The session of a `via: "session"` principal. */
  session: Session | null;
  /** Why the credentials presented were refused (a bad bearer token): the request gets a 401. */
  refused: string | null;
  /** A session cookie was sent that no longer opens a session (expired, logged out, revoked). */
  staleCookie: boolean;
  /** The client reached the Manager over https (itself, or at a trusted proxy). */
  https: boolean;
}

export interface AccessControlDeps {
  db: Db;
  clock: Clock;
  broker: EventBroker;
  log: (msg: string) => void;
  /** Read on every request, so a saved configuration applies at once. */
  settings: () => NetworkSettings;
}

export type AccessControl = ReturnType<typeof createAccessControl>;

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

export function createAccessControl(deps: AccessControlDeps) {
  const tokens: TokenStore = createTokenStore(deps);
  const sessions: SessionStore = createSessionStore({ ...deps, tokens });
  const networks = createNetworkTrust(deps.settings);
  const audit = createAudit(deps);

  function resolve(req: Request, peer: string): Resolution {
    const headers = req.headers;
    const origin = networks.clientOrigin(peer, headers.get("X-Forwarded-For"));
    // Request.url is absolute, its scheme lower-case: no need to parse it.
    const https =
      req.url.startsWith("https:") ||
      (origin.viaTrustedProxy && headers.get("X-Forwarded-Proto")?.trim().toLowerCase() === "https");
    const base = { session: null, refused: null, staleCookie: false, https };
    const address = origin.address;

    const authorization = headers.get("Authorization");
    if (authorization && /^Bearer\b/i.test(authorization)) {
      const secret = BEARER.exec(authorization)?.[1];
      const check = secret ? tokens.check(secret) : { ok: false as const, reason: "malformed bearer token" };
      if (!check.ok) return { ...base, principal: nobody(address), refused: check.reason };
      return { ...base, principal: tokenPrincipal(check.token, "token", address) };
    }

    const cookie = parseCookies(headers.get("Cookie") ?? "", SESSION_COOKIE)[SESSION_COOKIE];
    const session = cookie ? sessions.resolve(cookie) : null;
    if (session) return { ...base, principal: tokenPrincipal(session.token, "session", address), session };
    const staleCookie = cookie !== undefined;

    const networkRole = networks.networkRole(address);
    if (networkRole)
      return {
        ...base,
        staleCookie,
        principal: { role: networkRole, name: address, via: "network", address },
      };
    return { ...base, staleCookie, principal: nobody(address) };
  }

  // Overlapping routes (the docs page and its `/*` sibling) put several guards on one request:
  // the first resolves the caller, the others reuse it.
  const resolved = new WeakMap<Request, Resolution>();
  function resolveOnce(req: Request, peer: () => string): Resolution {
    let r = resolved.get(req);
    if (!r) {
      r = resolve(req, peer());
      resolved.set(req, r);
    }
    return r;
  }

  /** The refusal of a caller for a route needing `required`, or null when they may call it. */
  function refusal(r: Resolution, required: Role): { status: 401 | 403; message: string } | null {
    if (r.refused) return { status: 401, message: `authentication required: ${r.refused}` };
    const { principal } = r;
    if (!principal.role) {
      const why = r.staleCookie
        ? "the session has ended, log in again"
        : `${principal.address || "this client"} is not on a trusted network; send "Authorization: Bearer <token>" or log in`;
      return { status: 401, message: `authentication required: ${why}` };
    }
    if (!roleIncludes(principal.role, required)) {
      return {
        status: 403,
        message: `the ${required} role is required; ${describe(principal)} has the ${principal.role} role`,
      };
    }
    return null;
  }

  return {
    tokens,
    sessions,

    /**
     * For requests outside the Hono app (the `/ws` upgrade): the error response refusing a
     * caller who lacks `required`, or null to let them in.
     */
    refuse(req: Request, peer: string, required: Role): Response | null {
      const r = resolve(req, peer);
      const denied = refusal(r, required);
      return denied
        ? Response.json(errorBody(denied.status, denied.message), { status: denied.status })
        : null;
    },

    /** The middleware enforcing `route.access`: sets the principal, refuses, audits. */
    guard(route: GuardedRoute): MiddlewareHandler<ApiEnv> {
      const { access } = route;
      // Workers prove themselves with their own credentials (src/manager/api/worker-auth.ts).
      if (access === "worker") return (_c, next) => next();
      const operation = route.operationId ?? `${route.method} ${route.path}`;
      return async (c, next) => {
        const r = resolveOnce(c.req.raw, () => c.env?.remoteAddress?.() ?? "");
        c.set("principal", r.principal);
        c.set("session", r.session);
        c.set("https", r.https);
        if (access === "public") {
          if (r.refused) return c.json(errorBody(401, `authentication required: ${r.refused}`), 401);
          return next();
        }
        const denied = refusal(r, access);
        if (denied) return c.json(errorBody(denied.status, denied.message), denied.status);
        if (r.session && !SAFE_METHODS.has(c.req.method)) {
          const sent = c.req.header(CSRF_HEADER) ?? "";
          if (!sameSecret(sent, r.session.row.csrfToken)) {
            return c.json(
              errorBody(
                403,
                `a session's changes need the ${CSRF_HEADER} header from GET /api/tablao/session`,
              ),
              403,
            );
          }
        }
        await next();
        const { principal } = r;
        if (!AUDITED_ROLES.has(access) || SAFE_METHODS.has(c.req.method) || !principal.role) return;
        if (c.res.status < 200 || c.res.status > 299) return;
        audit({
          principal: { ...principal, role: principal.role },
          operation,
          method: c.req.method,
          path: c.req.path,
          params: c.req.param(),
          status: c.res.status,
        });
      };
    },
  };
}

/** The principal of a caller who proved `token`, by bearer header or by the session it opened. */
export function tokenPrincipal(token: ValidToken, via: "token" | "session", address: string): Principal {
  return { role: token.role, name: token.row.name, via, address };
}

function nobody(address: string): Principal {
  return { role: null, name: "", via: "none", address };
}

function describe(p: Principal): string {
  switch (p.via) {
    case "token":
      return `token ${JSON.stringify(p.name)}`;
    case "session":
      return `the session of token ${JSON.stringify(p.name)}`;
    case "network":
      return `address ${p.address}`;
    case "none":
      return "an anonymous caller";
  }
}
