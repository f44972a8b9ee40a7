// createApp(services): the Hono app serving the manager and worker APIs, the OpenAPI document,
// the API docs page and the web dashboard. Only Web-standard Request/Response here; the Bun
// server, the database file and the WebSocket upgrade live at the edge (src/manager/main.ts,
// src/manager/bun-serve.ts).
import { registerApiDocs } from "./api/handlers/api-docs";
import { configHandlers, type ConfigHandlerDeps } from "./api/handlers/config";
import { jobHandlers, type JobHandlerDeps } from "./api/handlers/jobs";
import { metaHandlers, type MetaDeps } from "./api/handlers/meta";
import { registerHandlers, type Handlers, type OperationId } from "./api/handlers/registry";
import { registerJobFiles, taskHandlers, type TaskHandlerDeps } from "./api/handlers/tasks";
import { registerWebRoutes } from "./api/handlers/web";
import type { WebAsset } from "./web-assets";
import { workerHandlers, type WorkerHandlerDeps } from "./api/handlers/workers";
import { createApiApp, declareRoute, type ApiApp } from "./api/http";
import { OPENAPI_JSON_PATH, openApiDocument, registerComponents } from "./api/openapi";
import { installSecurityHeaders } from "./api/security-headers";
import { installWorkerAuth } from "./api/worker-auth";
import type { AccessControl } from "./auth/access-control";
import { authHandlers } from "./auth/http-handlers";
import type { StorageLayout } from "./storage/layout";
import type { WorkerAuth } from "./farm/auth";

export const API_DOCS_PATH = "/api/v3/docs";

export interface AppServices {
  log: (msg: string) => void;
  /** One line per request (method, path, status, time); absent unless debug logging is on, so the hot path pays nothing. */
  requestLog?: (msg: string) => void;
  meta: MetaDeps;
  configuration: ConfigHandlerDeps;
  jobs: JobHandlerDeps;
  workers: WorkerHandlerDeps;
  workerAuth: WorkerAuth;
  tasks: TaskHandlerDeps;
  layout: StorageLayout;
  /** Who may call what (docs/security.md): every route's guard, the tablao-auth operations. */
  access: AccessControl;
  /** The bundled dashboard; absent in API-only tests. */
  webAssets?: ReadonlyMap<string, WebAsset>;
  /** Operations answered outside the areas above (e.g. Shaman while it is disabled). */
  extraHandlers?: Handlers;
}

export interface CreatedApp {
  app: ApiApp;
  /** Contract operations without a handler; a test keeps this empty. */
  unimplemented: OperationId[];
}

export function createApp(s: AppServices): CreatedApp {
  const app = createApiApp(s.log);
  // Before any route: each route gets its guard when it is registered.
  app.guard = (route) => s.access.guard(route);
  const { requestLog } = s;
  if (requestLog)
    app.use("*", async (c, next) => {
      const started = performance.now();
      await next();
      const ms = (performance.now() - started).toFixed(1);
      requestLog(`${c.req.method} ${c.req.path} → ${c.res.status} in ${ms} ms`);
    });
  installSecurityHeaders(app);
  installWorkerAuth(app, s.workerAuth);
  const unimplemented = registerHandlers(
    app,
    metaHandlers(s.meta),
    configHandlers(s.configuration),
    jobHandlers(s.jobs),
    workerHandlers(s.workers),
    taskHandlers(s.tasks),
    authHandlers(s.access),
    s.extraHandlers ?? {},
  );
  registerComponents(app);
  const document = openApiDocument(app);
  declareRoute(app, ["GET"], OPENAPI_JSON_PATH, "public", (c) => c.json(document));
  // The docs page and its script, registered next, are as public as the document they show.
  declareRoute(app, ["GET"], API_DOCS_PATH, "public");
  declareRoute(app, ["GET"], `${API_DOCS_PATH}/*`, "public");
  registerApiDocs(app, API_DOCS_PATH, OPENAPI_JSON_PATH);
  registerJobFiles(app, s.layout, s.tasks.taskLogs);
  if (s.webAssets) registerWebRoutes(app, s.webAssets);
  return { app, unimplemented };
}
