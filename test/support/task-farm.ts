// A small farm for the task-execution tests: a test farm (test/support/builders.ts) on a database
// file, with the Manager's task services (createTaskServices: task-log store, state machine,
// scheduler, task updates, may-I-run, last-rendered processor) and the HTTP app with worker auth.
//
// Not a whole createManager (src/manager/manager.ts): the tests call task updates, may-I-run,
// last-rendered and the storage layout directly (the Manager does not expose them), need their
// thresholds and variables per farm without a configuration file, and record warnings and events
// on the farm's own broker; a Manager would also bring group commit, the job-type registry and
// the background loops, none of which these tests are about.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiApp } from "../../src/manager/api/http";
import { installWorkerAuth } from "../../src/manager/api/worker-auth";
import { registerHandlers } from "../../src/manager/api/handlers/registry";
import { registerJobFiles, taskHandlers } from "../../src/manager/api/handlers/tasks";
import { buildVariableTable, type VariableContext, type VariableDefinition } from "../../src/manager/config";
import type { JobRow, TaskRow, WorkerRow } from "../../src/manager/db/schema";
import { createTaskServices } from "../../src/manager/manager";
import type { FailureThresholds } from "../../src/manager/state-machine/state-machine";
import { createStorageLayout } from "../../src/manager/storage/layout";
import { createWorkerAuth } from "../../src/manager/farm/auth";
import { createTestFarm, DEFAULT_THRESHOLDS, testWorkerAuth } from "./builders";

export interface FarmOptions {
  thresholds?: FailureThresholds;
  variables?: Record<string, VariableDefinition>;
  /** The Manager's own platform, for two-way variables. */
  platform?: string;
}

export function createFarm(opts: FarmOptions = {}) {
  const storageDir = mkdtempSync(join(tmpdir(), "tablao-farm-"));
  const farm = createTestFarm({ path: join(storageDir, "flamenco-manager.sqlite") });
  const { db, clock, broker } = farm;
  const warnings: string[] = [];
  const log = (msg: string) => warnings.push(msg);
  const layout = createStorageLayout(join(storageDir, "storage"));
  const thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const variables: VariableContext = {
    variables: buildVariableTable(opts.variables ?? {}),
    platform: opts.platform ?? "linux",
  };
  const services = createTaskServices({
    db,
    broker,
    clock,
    layout,
    settings: () => ({ ...thresholds, ...variables }),
    log,
    warn: log,
  });
  const { taskLogs, scheduler, taskUpdates, mayIRun, lastRendered } = services;

  const app = createApiApp(log);
  installWorkerAuth(app, createWorkerAuth({ db }));
  registerHandlers(app, taskHandlers({ db, clock, scheduler, taskUpdates, mayIRun, taskLogs, lastRendered }));
  registerJobFiles(app, layout, taskLogs);

  return {
    ...farm,
    warnings,
    layout,
    ...services,
    app,
    close() {
      farm.close();
      rmSync(storageDir, { recursive: true, force: true });
    },

    /** The lines of a task's log, without the timestamps of Manager lines. */
    async logLines(job: JobRow, task: TaskRow): Promise<string[]> {
      const path = layout.taskLogPath(job.uuid, task.uuid);
      await taskLogs.flush(path);
      return (existsSync(path) ? readFileSync(path, "utf8") : "")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) /, ""));
    },

    /** Authorization header of a worker the builders made. */
    auth(worker: WorkerRow): Record<string, string> {
      return testWorkerAuth(worker);
    },
  };
}

export type Farm = ReturnType<typeof createFarm>;
