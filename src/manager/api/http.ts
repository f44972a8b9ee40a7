// The HTTP plumbing every route module shares: the app type, Flamenco's Error JSON, the
// mapping of validation failures and service errors to 4xx responses (never a 500 for bad
// input), the limits on request bodies, and the middleware every route gets from what is
// declared beside it (access, body limit) along with the list of what the app serves.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Handler, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import type { Access, GuardedRoute, ServedRoute } from "../auth/access";
import type { Principal } from "../auth/principal";
import type { Session } from "../auth/sessions";
import type { WorkerRow } from "../db/schema";
import { CommitFailedError } from "../db/transaction";
import { ApiError } from "../errors";
import { SUBMITTED_JOB_MAX_BYTES, describeBytes } from "../jobs/limits";

export interface ApiEnv {
  /** Passed by the edge (src/manager/bun-serve.ts) to `app.fetch(req, env)`; absent under `app.request()`. */
  Bindings: {
    /** The TCP peer address of the client, without port (looked up when asked: few handlers need it). */
    remoteAddress?: () => string | undefined;
  };
  Variables: {
    /** The authenticated worker, set by the worker-auth middleware on /api/v3/worker/*. */
    worker: WorkerRow;
    /** The caller of a manager-API route, set by the access-control middleware. */
    principal: Principal;
    /** The caller's dashboard session when they came with one; set with `principal`. */
    session: Session | null;
    /** The client reached the Manager over https; set with `principal` (for the cookie's Secure flag). */
    https: boolean;
  };
}

const MIB = 1024 * 1024;
/** What a JSON body may weigh unless its route declares `x-tablao-max-body-bytes`. */
export const DEFAULT_MAX_BODY_BYTES = 1 * MIB;
/**
 * Job submissions: over the job's own limit (its JSON without whitespace), so that limit answers
 * with its precise 400; a body beyond this is refused unread.
 */
export const SUBMISSION_MAX_BODY_BYTES = 2 * SUBMITTED_JOB_MAX_BYTES;
/** Task updates carry log output a worker may have queued while the Manager was away. */
export const TASK_UPDATE_MAX_BODY_BYTES = 8 * MIB;
/** The server's own cap (Bun.serve), for the routes that take files: previews, Shaman uploads. */
export const MAX_REQUEST_BODY_BYTES = 64 * MIB;

/**
 * Builds the access middleware of a route (src/manager/auth/access-control.ts). createApp sets
 * it before any route is registered; apps built without it (handler tests) check no access.
 */
export type RouteGuard = (route: GuardedRoute) => MiddlewareHandler<ApiEnv>;

export class ApiApp extends OpenAPIHono<ApiEnv> {
  /** Every (method, path, access) registered, in Hono's path syntax; for tests to walk. */
  readonly served: ServedRoute[] = [];
  guard: RouteGuard | null = null;
}

/** A route's middleware: its access guard, then its body limit (so strangers' bodies are never read). */
export function routeMiddleware(
  app: ApiApp,
  route: GuardedRoute & { maxBodyBytes?: number },
): MiddlewareHandler<ApiEnv>[] {
  const maxBytes = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      errorResponse(
        c,
        413,
        `request body too large: ${c.req.path} accepts at most ${describeBytes(maxBytes)}`,
      ),
  });
  // A body without Content-Length would be buffered by the limit above: routes taking more
  // than the server's usual cap (streamed Shaman uploads) must announce their size instead.
  const streamed: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const { headers } = c.req.raw;
    if (c.req.raw.body && (!headers.has("content-length") || headers.has("transfer-encoding")))
      return errorResponse(c, 411, `${c.req.path} needs a Content-Length header`);
    await next();
  };
  const checks = maxBytes > MAX_REQUEST_BODY_BYTES ? [streamed, limit] : [limit];
  return app.guard ? [app.guard(route), ...checks] : checks;
}

/**
 * Registers a route outside the OpenAPI document (files, pages) with the access it needs
 * declared beside it; without handlers, only its guard, for a handler registered right after.
 */
export function declareRoute(
  app: ApiApp,
  methods: readonly ("GET" | "HEAD" | "POST" | "PUT" | "DELETE")[],
  path: string,
  access: Access,
  ...handlers: Handler<ApiEnv>[]
): void {
  for (const method of methods) app.served.push({ method, path, access });
  const middleware = routeMiddleware(app, { method: methods.join(","), path, access });
  app.on([...methods], [path], ...middleware, ...handlers);
}

export function errorBody(status: number, message: string) {
  return { code: status, message };
}

export function errorResponse(c: Context, status: number, message: string) {
  return c.json(errorBody(status, message), status as 400);
}

/** "body.priority: Too big: expected number to be <=100" style, one line per issue. */
export function describeZodError(target: string, error: ZodError): string {
  return error.issues
    .map((i) => {
      const where = [target === "json" ? "body" : target, ...i.path.map(String)].join(".");
      return `${where}: ${i.message}`;
    })
    .join("; ");
}

export function createApiApp(log: (msg: string) => void = console.error): ApiApp {
  const app = new ApiApp({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(c, 400, `invalid ${describeZodError(result.target, result.error)}`);
      }
    },
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.message);
    // The shared commit holding the request's change failed: it was not saved, and must not be
    // answered as if it were; the client may retry.
    if (err instanceof CommitFailedError) return errorResponse(c, 503, err.message);
    if (err instanceof HTTPException) {
      // Hono raises these for malformed JSON bodies and similar client mistakes.
      return errorResponse(c, err.status, err.message || "bad request");
    }
    log(`internal error on ${c.req.method} ${c.req.path}: ${err.stack || String(err)}`);
    return errorResponse(c, 500, `internal error: ${err.message}`);
  });
  app.notFound((c) => errorResponse(c, 404, `no such route: ${c.req.method} ${c.req.path}`));
  return app;
}
