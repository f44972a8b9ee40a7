// The OpenAPI document of the app: generated from the registered routes, plus the components no
// route references (event payloads, the worker security scheme). One document serves
// /api/v3/openapi3.json, `bun run openapi` and the drift test.
import { stringify } from "yaml";
import { FLAMENCO_COMPAT_VERSION, PRODUCT_NAME, PRODUCT_VERSION } from "../../shared/version";
import type { ApiApp } from "./http";
import { WORKER_AUTH_SCHEME_NAME, workerAuthScheme } from "./routes/worker";
import { standaloneSchemas } from "./schemas";

export const OPENAPI_JSON_PATH = "/api/v3/openapi3.json";
export const OPENAPI_YAML_FILE = "openapi/flamenco-manager.yaml";

export function registerComponents(app: ApiApp): void {
  app.openAPIRegistry.registerComponent("securitySchemes", WORKER_AUTH_SCHEME_NAME, workerAuthScheme);
  for (const { name, schema } of standaloneSchemas) app.openAPIRegistry.register(name, schema);
}

export function openApiDocument(app: ApiApp) {
  return app.getOpenAPIDocument({
    openapi: "3.0.3",
    info: {
      title: "Tablao Manager API (Flamenco v3 compatible)",
      version: PRODUCT_VERSION,
      description:
        `The API of ${PRODUCT_NAME}, a render-farm manager that speaks Flamenco ` +
        `${FLAMENCO_COMPAT_VERSION}'s protocol: workers, the Blender add-on and the web dashboard use it.`,
      license: { name: "GPL-3.0-or-later" },
    },
  });
}

export function openApiYaml(app: ApiApp): string {
  return (
    "# Generated from src/manager/api/routes by `bun run openapi`; edit the routes, not this file.\n" +
    stringify(openApiDocument(app), { aliasDuplicateObjects: false, lineWidth: 0 })
  );
}
