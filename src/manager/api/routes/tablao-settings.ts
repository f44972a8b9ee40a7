// Route definitions (no handlers) of Tablao's settings API under /api/tablao: the configuration
// with the catalog of its keys, and saving it with an answer saying what changed and what waits
// for a restart. Not part of Flamenco's contract (tag `tablao-settings`); see docs/configuration.md.
import { createRoute, z } from "@hono/zod-openapi";
import { ConfigurationFile, errorResponses, jsonResponse } from "../schemas";
import { TablaoSettings, TablaoSettingsSaved } from "../schemas/settings";

const tags = ["tablao-settings"];
const SETTINGS_PATH = "/api/tablao/settings";

export const fetchTablaoSettings = createRoute({
  method: "get",
  path: SETTINGS_PATH,
  operationId: "fetchTablaoSettings",
  "x-tablao-access": "admin",
  tags,
  summary: "Return the configuration, every key's description, and the keys waiting for a restart",
  description: "The MQTT password is replaced by a placeholder, as in getConfigurationFile.",
  responses: {
    200: jsonResponse(TablaoSettings, "The configuration and its catalog."),
  },
});

export const updateTablaoSettings = createRoute({
  method: "put",
  path: SETTINGS_PATH,
  operationId: "updateTablaoSettings",
  "x-tablao-access": "admin",
  tags,
  summary: "Validate and save the whole configuration, applying what can be applied at once",
  description:
    "The body is the whole configuration, as fetchTablaoSettings returns it. With `dry_run=true` " +
    "it is only validated and the changes are listed. The file is edited in place: comments and " +
    "key order stay.",
  request: {
    query: z.object({
      dry_run: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "`true`: validate and list the changes, write nothing." }),
    }),
    body: { required: true, content: { "application/json": { schema: ConfigurationFile } } },
  },
  responses: {
    200: jsonResponse(TablaoSettingsSaved, "What changed (or would change)."),
    ...errorResponses({
      400: "The body is not a usable configuration; the message names the key.",
      500: "The configuration file could not be written.",
    }),
  },
});
