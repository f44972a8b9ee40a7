// A small farm for the task-execution tests: a real database, broker, state machine, task-log
// store, last-rendered processor and the HTTP app with worker auth, plus seeding helpers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { createApiApp } from "../../../src/manager/api/http";
import { installWorkerAuth } from "../../../src/manager/api/worker-auth";
import { registerHandlers } from "../../../src/manager/api/handlers/registry";
import { registerJobFiles, taskHandlers } from "../../../src/manager/api/handlers/tasks";
import { buildVariableTable, type VariableContext, type VariableDefinition } from "../../../src/manager/config";
import {
  jobBlocks,
  jobs,
  taskDependencies,
  taskFailures,
  tasks,
  workers,
  workerTagMembership,
  workerTags,
  type JobRow,
  type TaskCommand,
  type TaskRow,
  type WorkerRow,
} from "../../../src/manager/db/schema";
import { openDatabase } from "../../../src/manager/db/open";
import { afterCommit } from "../../../src/manager/db/transaction";
import { createEventBroker, type PublishedEvent } from "../../../src/manager/events/broker";
import { createScheduler } from "../../../src/manager/scheduler/scheduler";
import { createStateMachine, type FailureThresholds } from "../../../src/manager/state-machine/state-machine";
import { createStorageLayout } from "../../../src/manager/storage/layout";
import { createLastRendered } from "../../../src/manager/storage/last-rendered";
import { createTaskLogStore } from "../../../src/manager/storage/task-logs";
import { createMayIRun } from "../../../src/manager/tasks/may-i-run";
import { createTaskUpdates } from "../../../src/manager/tasks/updates";
import { hashWorkerSecret, WorkerAuthenticator } from "../../../src/manager/farm/auth";
import { basicAuthHeader } from "../../../src/worker/client";
import { FakeClock } from "../../support/fake-clock";

export const SECRET = "secret-of-every-test-worker";

export interface FarmOptions {
  thresholds?: FailureThresholds;
  variables?: Record<string, VariableDefinition>;
  /** The Manager's own platform, for two-way variables. */
  platform?: string;
}

export interface SeedTask {
  type?: string;
  priority?: number;
  status?: string;
  dependsOn?: TaskRow[];
  workerId?: number | null;
  commands?: TaskCommand[];
  stepsTotal?: number;
  lastTouchedAt?: Date | null;
}

export function createFarm(opts: FarmOptions = {}) {
  const storageDir = mkdtempSync(join(tmpdir(), "tablao-farm-"));
  const opened = openDatabase(join(storageDir, "flamenco-manager.sqlite"));
  const { db } = opened;
  const clock = new FakeClock();
  const broker = createEventBroker();
  const events: PublishedEvent[] = [];
  broker.listen((e) => events.push(e));
  const warnings: string[] = [];
  const log = (msg: string) => warnings.push(msg);
  const layout = createStorageLayout(join(storageDir, "storage"));
  const taskLogs = createTaskLogStore({
    layout,
    broker,
    clock,
    log,
    afterCommit: (fn) => afterCommit(db, fn),
  });
  const thresholds = opts.thresholds ?? { blocklistThreshold: 3, taskFailAfterSoftfailCount: 3 };
  const stateMachine = createStateMachine({ clock, taskLogs, log, thresholds: () => thresholds });
  const variables: VariableContext = {
    variables: buildVariableTable(opts.variables ?? {}),
    platform: opts.platform ?? "linux",
  };
  const scheduler = createScheduler({
    db,
    broker,
    clock,
    taskMachine: stateMachine,
    taskLogs,
    variables: () => variables,
  });
  const taskUpdates = createTaskUpdates({ db, broker, clock, stateMachine, taskLogs });
  const mayIRun = createMayIRun({ db, broker, clock });
  const lastRendered = createLastRendered({ db, broker, clock, layout, log });

  const app = createApiApp(log);
  installWorkerAuth(app, new WorkerAuthenticator(db));
  registerHandlers(app, taskHandlers({ db, clock, scheduler, taskUpdates, mayIRun, taskLogs, lastRendered }));
  registerJobFiles(app, layout, taskLogs);

  let seq = 0;
  const secretHash = hashWorkerSecret(SECRET);

  return {
    db,
    sqlite: opened.sqlite,
    clock,
    broker,
    events,
    warnings,
    layout,
    taskLogs,
    stateMachine,
    scheduler,
    taskUpdates,
    mayIRun,
    lastRendered,
    app,
    close() {
      opened.close();
      rmSync(storageDir, { recursive: true, force: true });
    },

    addTag(name: string): number {
      return db.insert(workerTags).values({ uuid: crypto.randomUUID(), name }).returning().get().id;
    },

    async addWorker(
      name: string,
      o: { types?: string; status?: string; tagIds?: number[]; platform?: string } = {},
    ): Promise<WorkerRow> {
      const worker = db
        .insert(workers)
        .values({
          uuid: crypto.randomUUID(),
          secret: await secretHash,
          name,
          platform: o.platform ?? "linux",
          status: o.status ?? "awake",
          supportedTaskTypes: o.types ?? "blender,ffmpeg,misc",
        })
        .returning()
        .get();
      for (const tagId of o.tagIds ?? [])
        db.insert(workerTagMembership).values({ workerTagId: tagId, workerId: worker.id }).run();
      return worker;
    },

    addJob(o: { priority?: number; status?: string; workerTagId?: number | null } = {}): JobRow {
      const at = clock.now();
      return db
        .insert(jobs)
        .values({
          uuid: crypto.randomUUID(),
          name: `job ${++seq}`,
          jobType: "simple-blender-render",
          priority: o.priority ?? 50,
          status: o.status ?? "queued",
          settings: {},
          metadata: {},
          workerTagId: o.workerTagId ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
    },

    addTask(job: JobRow, o: SeedTask = {}): TaskRow {
      const at = clock.now();
      const index = ++seq;
      const task = db
        .insert(tasks)
        .values({
          uuid: crypto.randomUUID(),
          name: `task ${index}`,
          type: o.type ?? "blender",
          jobId: job.id,
          indexInJob: index,
          priority: o.priority ?? 50,
          status: o.status ?? "queued",
          workerId: o.workerId ?? null,
          lastTouchedAt: o.lastTouchedAt ?? null,
          commands: o.commands ?? [{ name: "echo", parameters: { message: "hi" }, total_step_count: 0 }],
          stepsTotal: o.stepsTotal ?? 1,
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
      for (const dep of o.dependsOn ?? [])
        db.insert(taskDependencies).values({ taskId: task.id, dependencyId: dep.id }).run();
      return task;
    },

    addFailure(task: TaskRow, worker: WorkerRow): void {
      db.insert(taskFailures).values({ taskId: task.id, workerId: worker.id }).run();
    },

    block(job: JobRow, worker: WorkerRow, taskType: string): void {
      db.insert(jobBlocks).values({ jobId: job.id, workerId: worker.id, taskType }).run();
    },

    task(id: number): TaskRow {
      return db.select().from(tasks).where(eq(tasks.id, id)).get()!;
    },
    job(id: number): JobRow {
      return db.select().from(jobs).where(eq(jobs.id, id)).get()!;
    },
    worker(id: number): WorkerRow {
      return db.select().from(workers).where(eq(workers.id, id)).get()!;
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

    /** Authorization header of a seeded worker. */
    auth(worker: WorkerRow): Record<string, string> {
      return { Authorization: basicAuthHeader(worker.uuid, SECRET) };
    },

    eventsOf(name: string): Record<string, unknown>[] {
      return events.filter((e) => e.event === name).map((e) => e.payload as Record<string, unknown>);
    },
  };
}

export type Farm = ReturnType<typeof createFarm>;
