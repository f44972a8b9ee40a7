// HTTP Basic authentication of workers on /api/v3/worker/* (all but register-worker). It runs
// before request validation, as in Flamenco, so an unauthenticated bad request gets a 403.
import type { MiddlewareHandler } from "hono";
import type { WorkerAuth } from "../farm/auth";
import type { ApiApp, ApiEnv } from "./http";

export const WORKER_API_PREFIX = "/api/v3/worker/";
const UNAUTHENTICATED_PATHS = new Set([`${WORKER_API_PREFIX}register-worker`]);

export function workerAuthMiddleware(auth: WorkerAuth): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (UNAUTHENTICATED_PATHS.has(c.req.path)) return next();
    const answer = auth.authenticate(c.req.header("Authorization"));
    const result = answer instanceof Promise ? await answer : answer;
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
