// Route definitions (no handlers) for the `meta` operations: version, farm status,
// configuration, variables, shared storage and the setup assistant.
import { createRoute, z } from "@hono/zod-openapi";
import {
  BlenderPathCheckResult,
  BlenderPathFindResult,
  ConfigurationFile,
  FarmStatusReport,
  FlamencoVersion,
  ManagerConfiguration,
  ManagerVariableAudience,
  ManagerVariables,
  PathCheckInput,
  PathCheckResult,
  SetupAssistantConfig,
  SharedStorageLocation,
  emptyResponse,
  errorResponses,
  jsonResponse,
} from "../schemas";

const tags = ["meta"];

const audiencePlatformParams = z.object({
  audience: ManagerVariableAudience.openapi({
    param: { name: "audience", in: "path" },
    description: "Whether values are wanted for workers or for users.",
  }),
  platform: z
    .string()
    .min(1)
    .openapi({
      param: { name: "platform", in: "path" },
      description: "Operating system to resolve for (`linux`, `windows`, `darwin`, ...).",
    }),
});

export const getVersion = createRoute({
  method: "get",
  path: "/api/v3/version",
  operationId: "getVersion",
  "x-tablao-access": "public",
  tags,
  summary: "Report the Manager's version and name",
  responses: {
    200: jsonResponse(FlamencoVersion, "Version information."),
  },
});

export const getConfiguration = createRoute({
  method: "get",
  path: "/api/v3/configuration",
  operationId: "getConfiguration",
  "x-tablao-access": "viewer",
  tags,
  summary: "Reload the configuration file and report what the web app needs from it",
  responses: {
    200: jsonResponse(ManagerConfiguration, "The configuration summary."),
    ...errorResponses({ 500: "The configuration file could not be loaded." }),
  },
});

export const checkSharedStoragePath = createRoute({
  method: "post",
  path: "/api/v3/configuration/check/shared-storage",
  operationId: "checkSharedStoragePath",
  "x-tablao-access": "admin",
  tags,
  summary: "Check whether a directory can serve as shared storage",
  request: {
    body: { required: true, content: { "application/json": { schema: PathCheckInput } } },
  },
  responses: {
    200: jsonResponse(PathCheckResult, "The verdict; an unusable path is a normal answer, not an error."),
    ...errorResponses({ 400: "The body is not a path check request." }),
  },
});

export const findBlenderExePath = createRoute({
  method: "get",
  path: "/api/v3/configuration/check/blender",
  operationId: "findBlenderExePath",
  "x-tablao-access": "admin",
  tags,
  summary: "Look for Blender executables on the Manager's machine",
  responses: {
    200: jsonResponse(BlenderPathFindResult, "Every Blender found; empty when there is none."),
    ...errorResponses({ 500: true }),
  },
});

export const checkBlenderExePath = createRoute({
  method: "post",
  path: "/api/v3/configuration/check/blender",
  operationId: "checkBlenderExePath",
  "x-tablao-access": "admin",
  tags,
  summary: "Check whether a path or command starts Blender",
  request: {
    body: { required: true, content: { "application/json": { schema: PathCheckInput } } },
  },
  responses: {
    200: jsonResponse(
      BlenderPathCheckResult,
      "The verdict; an unusable path is a normal answer, not an error.",
    ),
    ...errorResponses({ 400: "The body is not a path check request." }),
  },
});

export const saveSetupAssistantConfig = createRoute({
  method: "post",
  path: "/api/v3/configuration/setup-assistant",
  operationId: "saveSetupAssistantConfig",
  "x-tablao-access": "admin",
  tags,
  summary: "Store the setup assistant's choices; they take effect at once, without a restart",
  request: {
    body: { required: true, content: { "application/json": { schema: SetupAssistantConfig } } },
  },
  responses: {
    204: emptyResponse("Saved and in effect; the web app should re-read the configuration."),
    ...errorResponses({
      400: "The configuration is incomplete or unusable.",
      500: "The configuration could not be saved.",
    }),
  },
});

export const getConfigurationFile = createRoute({
  method: "get",
  path: "/api/v3/configuration/file",
  operationId: "getConfigurationFile",
  "x-tablao-access": "admin",
  tags,
  summary: "Return the complete configuration as JSON",
  responses: {
    200: jsonResponse(ConfigurationFile, "The configuration in effect."),
  },
});

export const updateConfigurationFile = createRoute({
  method: "put",
  path: "/api/v3/configuration/file",
  operationId: "updateConfigurationFile",
  "x-tablao-access": "admin",
  tags,
  summary: "Replace the configuration file; most keys take effect at once, the rest after a restart",
  request: {
    body: { required: true, content: { "application/json": { schema: ConfigurationFile } } },
  },
  responses: {
    204: emptyResponse("The configuration file was written (GET /api/tablao/settings says what waits for a restart)."),
    ...errorResponses({
      400: "The body is not a usable configuration.",
      500: "The configuration file could not be written.",
    }),
  },
});

export const getVariables = createRoute({
  method: "get",
  path: "/api/v3/configuration/variables/{audience}/{platform}",
  operationId: "getVariables",
  "x-tablao-access": "viewer",
  tags,
  summary: "Resolve the configured variables for one audience and platform",
  request: { params: audiencePlatformParams },
  responses: {
    200: jsonResponse(ManagerVariables, "Variables by name; empty when none are configured."),
    ...errorResponses({ 400: "Unknown audience." }),
  },
});

export const getSharedStorage = createRoute({
  method: "get",
  path: "/api/v3/configuration/shared-storage/{audience}/{platform}",
  operationId: "getSharedStorage",
  "x-tablao-access": "viewer",
  tags,
  summary: "Report the shared storage path as seen by one audience and platform",
  request: { params: audiencePlatformParams },
  responses: {
    200: jsonResponse(SharedStorageLocation, "The translated shared storage location."),
    ...errorResponses({ 400: "Unknown audience." }),
  },
});

export const getFarmStatus = createRoute({
  method: "get",
  path: "/api/v3/status",
  operationId: "getFarmStatus",
  "x-tablao-access": "viewer",
  tags,
  summary: "Report the most recently computed farm status",
  responses: {
    200: jsonResponse(FarmStatusReport, "The farm status."),
  },
});
