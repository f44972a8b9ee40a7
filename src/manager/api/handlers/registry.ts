// Binds handlers to the contract: every area supplies handlers keyed by operationId, and they
// are registered in the contract's order (literal paths before parameterised siblings), each
// behind the middleware its route declares (access, body limit: src/manager/auth/access.ts).
import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { routeDeclaration } from "../../auth/access";
import type * as routes from "../routes";
import { allRoutes, tablaoRoutes } from "../routes";
import { routeMiddleware, type ApiApp, type ApiEnv } from "../http";

type Routes = typeof routes;
/** Route definitions are exported under their operationId, so the export names are the operations. */
export type OperationId = { [K in keyof Routes]: Routes[K] extends RouteConfig ? K : never }[keyof Routes];

/** Handlers for some operations, typed by their route definitions. */
export type Handlers = { [Op in OperationId]?: RouteHandler<Routes[Op], ApiEnv> };

/** Flamenco's contract, then Tablao's own operations. */
const servedRoutes: readonly RouteConfig[] = [...allRoutes, ...tablaoRoutes];

/**
 * Registers the handlers in contract order; returns the operations left without a handler.
 * Throws when a route does not declare its access, before registering anything.
 */
export function registerHandlers(app: ApiApp, ...parts: Handlers[]): OperationId[] {
  const merged: Handlers = {};
  for (const part of parts) {
    for (const op of Object.keys(part) as OperationId[]) {
      if (merged[op]) throw new Error(`two handlers for operation ${op}`);
      (merged as Record<string, unknown>)[op] = part[op];
    }
  }
  const declared = servedRoutes.map((route) => ({ route, ...routeDeclaration(route) }));
  const missing: OperationId[] = [];
  for (const { route, access, maxBodyBytes } of declared) {
    const op = route.operationId as OperationId;
    const handler = merged[op];
    if (!handler) {
      missing.push(op);
      continue;
    }
    const method = route.method.toUpperCase();
    const path = route.path.replaceAll(/\{(\w+)\}/g, ":$1");
    const middleware = routeMiddleware(app, { method, path, access, operationId: op, maxBodyBytes });
    // A handler's type follows its route, a correlation TypeScript cannot follow through the union
    // of the routes (tsc rejects the pair without these casts, the linter calls them unnecessary).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    app.openapi({ ...route, middleware } as RouteConfig, handler as never);
    app.served.push({ method, path, access });
  }
  return missing;
}
