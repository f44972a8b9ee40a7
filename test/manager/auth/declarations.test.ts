// Who may call each operation, written out once more: the declarations beside the routes
// (`x-tablao-access`) are what the middleware enforces, so changing one must be a decision this
// test is updated for. And a route without a declaration stops the Manager from being built.
import { describe, expect, test } from "bun:test";
import type { RouteConfig } from "@hono/zod-openapi";
import {
  ACCESS_FIELD,
  MAX_BODY_FIELD,
  routeDeclaration,
  type Access,
} from "../../../src/manager/auth/access";
import { registerHandlers } from "../../../src/manager/api/handlers/registry";
import { createApiApp } from "../../../src/manager/api/http";
import { allRoutes, getVersion, tablaoRoutes } from "../../../src/manager/api/routes";
import { loadConfig } from "../../../src/manager/config";
import { createManager } from "../../../src/manager/manager";
import { silentLogger } from "../../../src/shared/log";

const EXPECTED: Record<Access, string[]> = {
  public: ["getVersion", "registerWorker", "getTablaoSession", "createTablaoSession", "deleteTablaoSession"],
  worker: [
    "signOn",
    "signOff",
    "workerState",
    "workerStateChanged",
    "scheduleTask",
    "taskUpdate",
    "mayWorkerRun",
    "taskOutputProduced",
  ],
  viewer: [
    "getConfiguration",
    "getVariables",
    "getSharedStorage",
    "getFarmStatus",
    "fetchWorkers",
    "fetchWorker",
    "fetchWorkerSleepSchedule",
    "fetchWorkerTags",
    "fetchWorkerTag",
    "getJobTypes",
    "getJobType",
    "fetchJobs",
    "fetchTablaoJobTimeline",
    "fetchGlobalLastRenderedInfo",
    "fetchJob",
    "fetchJobLastRenderedInfo",
    "fetchJobTasks",
    "fetchJobBlocklist",
    "fetchTask",
    "fetchTaskLogTail",
    "fetchTaskLogInfo",
  ],
  submitter: [
    "submitJob",
    "submitJobCheck",
    "shamanCheckoutRequirements",
    "shamanCheckout",
    "shamanFileStoreCheck",
    "shamanFileStore",
  ],
  operator: [
    "requestWorkerStatusChange",
    "setWorkerTags",
    "setWorkerSleepSchedule",
    "createWorkerTag",
    "updateWorkerTag",
    "deleteWorkerTag",
    "deleteJobMass",
    "deleteJob",
    "deleteJobWhatWouldItDo",
    "setJobStatus",
    "setJobPriority",
    "setJobTag",
    "removeJobBlocklist",
    "setTaskStatus",
    "fetchTablaoShamanStatus",
  ],
  admin: [
    "getConfigurationFile",
    "updateConfigurationFile",
    "checkSharedStoragePath",
    "findBlenderExePath",
    "checkBlenderExePath",
    "saveSetupAssistantConfig",
    "deleteWorker",
    "fetchTablaoTokens",
    "createTablaoToken",
    "deleteTablaoToken",
    "fetchTablaoSettings",
    "updateTablaoSettings",
    "fetchTablaoWebhookDeliveries",
    "sendTablaoWebhookTest",
  ],
};

const routes = [...allRoutes, ...tablaoRoutes] as readonly RouteConfig[];

test("every operation declares the access it was given", () => {
  const declared: Record<string, string[]> = {};
  for (const route of routes) (declared[routeDeclaration(route).access] ??= []).push(route.operationId ?? "");
  for (const access of Object.keys(EXPECTED) as Access[]) {
    expect({ access, ops: (declared[access] ?? []).sort() }).toEqual({
      access,
      ops: [...EXPECTED[access]].sort(),
    });
  }
  expect(Object.values(EXPECTED).flat()).toHaveLength(routes.length);
});

describe("declarations the Manager refuses to start with", () => {
  function buildManager() {
    const config = loadConfig({ cwd: process.cwd(), env: { TABLAO_DATABASE: ":memory:" } });
    return createManager({ config, logger: silentLogger });
  }

  /**
   * Runs `fn` with getVersion's `field` set to `value` (deleted when undefined), then puts the
   * route back as it was, keys in their order: the OpenAPI document follows that order.
   */
  function without<T>(field: string, value: unknown, fn: () => T): T {
    const route = getVersion as Record<string, unknown>;
    const original = Object.entries(route);
    if (value === undefined) delete route[field];
    else route[field] = value;
    try {
      return fn();
    } finally {
      for (const key of Object.keys(route)) delete route[key];
      Object.assign(route, Object.fromEntries(original));
    }
  }

  /** What createApp does with the routes, without the services it needs besides. */
  const registerAll = () => registerHandlers(createApiApp(() => {}));

  test("a route without x-tablao-access, or with an unknown one, makes building the app throw", () => {
    expect(() => without(ACCESS_FIELD, undefined, buildManager)).toThrow(
      'route getVersion must declare "x-tablao-access" as one of public, worker, viewer, submitter, operator, admin, got undefined',
    );
    expect(() => without(ACCESS_FIELD, "everyone", registerAll)).toThrow('got "everyone"');
  });

  test("a body limit must be a positive whole number of bytes", () => {
    for (const bad of [0, -1, 1.5, "1 MiB"]) {
      expect(() => without(MAX_BODY_FIELD, bad, registerAll)).toThrow(
        'route getVersion: "x-tablao-max-body-bytes" must be a positive whole number of bytes',
      );
    }
  });
});
