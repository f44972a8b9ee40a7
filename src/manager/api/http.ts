// The HTTP plumbing every route module shares: the app type, Flamenco's Error JSON, and the
// mapping of validation failures and service errors to 4xx responses (never a 500 for bad input).
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import type { WorkerRow } from "../db/schema";
import { CommitFailedError } from "../db/transaction";
import { ApiError } from "../errors";

export interface ApiEnv {
  /** Passed by the edge (src/manager/bun-serve.ts) to `app.fetch(req, env)`; absent under `app.request()`. */
  Bindings: {
    /** The TCP peer address of the client, without port (looked up when asked: few handlers need it). */
    remoteAddress?: () => string | undefined;
  };
  Variables: {
    /** The authenticated worker, set by the worker-auth middleware on /api/v3/worker/*. */
    worker: WorkerRow;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

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
  const app = new OpenAPIHono<ApiEnv>({
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
    log(`internal error on ${c.req.method} ${c.req.path}: ${err.stack ?? String(err)}`);
    return errorResponse(c, 500, `internal error: ${err.message}`);
  });
  app.notFound((c) => errorResponse(c, 404, `no such route: ${c.req.method} ${c.req.path}`));
  return app;
}
