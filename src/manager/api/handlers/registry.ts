// Binds handlers to the contract: every area supplies handlers keyed by operationId, and they
// are registered in the contract's order (literal paths before parameterised siblings).
import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type * as routes from "../routes";
import { allRoutes } from "../routes";
import type { ApiApp, ApiEnv } from "../http";

type Routes = typeof routes;
/** Route definitions are exported under their operationId, so the export names are the operations. */
export type OperationId = { [K in keyof Routes]: Routes[K] extends RouteConfig ? K : never }[keyof Routes];

/** Handlers for some operations, typed by their route definitions. */
export type Handlers = { [Op in OperationId]?: RouteHandler<Routes[Op], ApiEnv> };

/** Registers the handlers in contract order; returns the operations left without a handler. */
export function registerHandlers(app: ApiApp, ...parts: Handlers[]): OperationId[] {
  const merged: Handlers = {};
  for (const part of parts) {
    for (const op of Object.keys(part) as OperationId[]) {
      if (merged[op]) throw new Error(`two handlers for operation ${op}`);
      (merged as Record<string, unknown>)[op] = part[op];
    }
  }
  const missing: OperationId[] = [];
  for (const route of allRoutes) {
    const op = route.operationId as OperationId;
    const handler = merged[op];
    // A handler's type follows its route, a correlation TypeScript cannot follow through the union
    // of 57 routes (tsc rejects the pair without these casts, the linter calls them unnecessary).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    if (handler) app.openapi(route as RouteConfig, handler as never);
    else missing.push(op);
  }
  return missing;
}
