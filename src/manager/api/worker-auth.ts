// HTTP Basic authentication of workers on /api/v3/worker/* (all but register-worker). It runs
// before request validation, as in Flamenco, so an unauthenticated bad request gets a 403.
// Failed attempts are throttled per client address (src/manager/farm/auth-throttle.ts).
import type { Context, MiddlewareHandler } from "hono";
import type { Principal } from "../auth/principal";
import { retryAfterSeconds } from "../farm/auth-throttle";
import type { WorkerAuth } from "../farm/auth";
import { errorResponse, type ApiApp, type ApiEnv } from "./http";

export const WORKER_API_PREFIX = "/api/v3/worker/";
const UNAUTHENTICATED_PATHS = new Set([`${WORKER_API_PREFIX}register-worker`]);

/**
 * The TCP peer, an IPv4-mapped IPv6 address shown as plain IPv4 (as Go reports it); "" under
 * app.request() (tests without a server).
 */
export function peerAddress(c: Context<ApiEnv>): string {
  return (c.env?.remoteAddress?.() ?? "").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
}

/**
 * The address failed attempts are counted against: the access-control middleware's (which
 * believes only trusted proxies) when it ran, else the peer. Never a proxy header as such: an
 * attacker would send a new X-Forwarded-For with every guess.
 */
export function throttledAddress(c: Context<ApiEnv>): string {
  const principal = c.get("principal") as Principal | undefined;
  return principal?.address || peerAddress(c);
}

export function workerAuthMiddleware(auth: WorkerAuth): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (UNAUTHENTICATED_PATHS.has(c.req.path)) return next();
    const answer = auth.authenticate(c.req.header("Authorization"), throttledAddress(c));
    const result = answer instanceof Promise ? await answer : answer;
    if (!result.ok && result.cause === "throttled") {
      const seconds = retryAfterSeconds(result.retryAfterMs);
      c.header("Retry-After", String(seconds));
      return errorResponse(
        c,
        429,
        `too many failed worker authentications from this address; try again in ${seconds} s`,
      );
    }
    if (!result.ok) {
      // Flamenco's validator wording and shape (no `code`); the Worker only logs it.
      return c.json({ message: `security requirements failed: authorization failed: ${result.cause}` }, 403);
    }
    c.set("worker", result.worker);
    return next();
  };
}

/**
 * Must be installed before any /api/v3/worker/* route is registered: Hono runs handlers in
 * registration order, so a route registered earlier would answer without authentication.
 */
export function installWorkerAuth(app: ApiApp, auth: WorkerAuth): void {
  app.use(`${WORKER_API_PREFIX}*`, workerAuthMiddleware(auth));
}
