// createApp(services): the Hono app serving the manager and worker APIs, the OpenAPI document,
// the API docs page and the web dashboard. Only Web-standard Request/Response here; the Bun
// server, the database file and the WebSocket upgrade live at the edge (src/manager/main.ts,
// src/manager/bun-serve.ts).
import { Scalar } from "@scalar/hono-api-reference";
import { configHandlers, type ConfigHandlerDeps } from "./api/handlers/config";
import { jobHandlers, type JobHandlerDeps } from "./api/handlers/jobs";
import { metaHandlers, type MetaDeps } from "./api/handlers/meta";
import { registerHandlers, type Handlers, type OperationId } from "./api/handlers/registry";
import { registerJobFiles, taskHandlers, type TaskHandlerDeps } from "./api/handlers/tasks";
import { registerWebRoutes } from "./api/handlers/web";
import type { WebAsset } from "./web-assets";
import { workerHandlers, type WorkerHandlerDeps } from "./api/handlers/workers";
import { createApiApp, type ApiApp } from "./api/http";
import { OPENAPI_JSON_PATH, openApiDocument, registerComponents } from "./api/openapi";
import { installWorkerAuth } from "./api/worker-auth";
import type { StorageLayout } from "./storage/layout";
import type { WorkerAuth } from "./farm/auth";

export const API_DOCS_PATH = "/api/v3/docs";

export interface AppServices {
  log: (msg: string) => void;
  meta: MetaDeps;
  configuration: ConfigHandlerDeps;
  jobs: JobHandlerDeps;
  workers: WorkerHandlerDeps;
  workerAuth: WorkerAuth;
  tasks: TaskHandlerDeps;
  layout: StorageLayout;
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
  installWorkerAuth(app, s.workerAuth);
  const unimplemented = registerHandlers(
    app,
    metaHandlers(s.meta),
    configHandlers(s.configuration),
    jobHandlers(s.jobs),
    workerHandlers(s.workers),
    taskHandlers(s.tasks),
    s.extraHandlers ?? {},
  );
  registerComponents(app);
  const document = openApiDocument(app);
  app.get(OPENAPI_JSON_PATH, (c) => c.json(document));
  app.get(API_DOCS_PATH, Scalar({ url: OPENAPI_JSON_PATH, pageTitle: "Tablao API" }));
  registerJobFiles(app, s.layout, s.tasks.taskLogs);
  if (s.webAssets) registerWebRoutes(app, s.webAssets);
  return { app, unimplemented };
}
