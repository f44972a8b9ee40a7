// A state machine on a fresh in-memory database, with seeding helpers and recorders for the
// events it publishes, the task-log lines it writes and the warnings it logs.
import { eq } from "drizzle-orm";
import {
  jobBlocks,
  jobs,
  taskDependencies,
  taskFailures,
  tasks,
  workers,
  workerTagMembership,
  workerTags,
} from "../../../src/manager/db/schema";
import type { JobRow, TaskRow, WorkerRow } from "../../../src/manager/db/schema";
import { openDatabase } from "../../../src/manager/db/open";
import { inTransaction, type Emit } from "../../../src/manager/db/transaction";
import type { DbOrTx } from "../../../src/manager/db/types";
import { createEventBroker, type PublishedEvent } from "../../../src/manager/events/broker";
import { createStateMachine, type FailureThresholds } from "../../../src/manager/state-machine/state-machine";
import { FakeClock } from "../../support/fake-clock";

export interface LogLine {
  jobUUID: string;
  taskUUID: string;
  line: string;
}

type Payload = Record<string, unknown>;

export function createFixture(
  thresholds: FailureThresholds = { blocklistThreshold: 3, taskFailAfterSoftfailCount: 3 },
) {
  const { db, sqlite } = openDatabase(":memory:");
  const clock = new FakeClock();
  const broker = createEventBroker();
  const events: PublishedEvent[] = [];
  broker.listen((e) => events.push(e));
  const lines: LogLine[] = [];
  const warnings: string[] = [];
  const sm = createStateMachine({
    clock,
    taskLogs: { appendManagerLine: (jobUUID, taskUUID, line) => lines.push({ jobUUID, taskUUID, line }) },
    log: (msg) => warnings.push(msg),
    thresholds: () => thresholds,
  });
  let seq = 0;
  const uuid = () => crypto.randomUUID();

  return {
    db,
    sqlite,
    clock,
    broker,
    sm,
    events,
    lines,
    warnings,
    thresholds,

    run<T>(fn: (tx: DbOrTx, emit: Emit) => T): T {
      return inTransaction(db, broker, fn);
    },

    addJob(status: string, opts: { workerTagId?: number; name?: string } = {}): JobRow {
      const at = clock.now();
      return db
        .insert(jobs)
        .values({
          uuid: uuid(),
          name: opts.name ?? `job ${++seq}`,
          jobType: "simple-blender-render",
          status,
          settings: {},
          metadata: {},
          workerTagId: opts.workerTagId ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
    },

    addTask(
      job: JobRow,
      status: string,
      opts: {
        type?: string;
        workerId?: number;
        stepsTotal?: number;
        stepsCompleted?: number;
        lastTouchedAt?: Date;
      } = {},
    ): TaskRow {
      const at = clock.now();
      const index = ++seq;
      return db
        .insert(tasks)
        .values({
          uuid: uuid(),
          name: `task ${index}`,
          type: opts.type ?? "misc",
          jobId: job.id,
          indexInJob: index,
          status,
          workerId: opts.workerId ?? null,
          lastTouchedAt: opts.lastTouchedAt ?? null,
          commands: [],
          stepsTotal: opts.stepsTotal ?? 1,
          stepsCompleted: opts.stepsCompleted ?? (status === "completed" ? (opts.stepsTotal ?? 1) : 0),
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
    },

    addTasks(job: JobRow, status: string, count: number, opts: { type?: string } = {}): TaskRow[] {
      return Array.from({ length: count }, () => this.addTask(job, status, opts));
    },

    addDependency(task: TaskRow, dependency: TaskRow): void {
      db.insert(taskDependencies).values({ taskId: task.id, dependencyId: dependency.id }).run();
    },

    addWorker(name: string, opts: { types?: string; status?: string; tagIds?: number[] } = {}): WorkerRow {
      const worker = db
        .insert(workers)
        .values({
          uuid: uuid(),
          secret: "x",
          name,
          status: opts.status ?? "awake",
          supportedTaskTypes: opts.types ?? "misc,blender",
        })
        .returning()
        .get();
      for (const tagId of opts.tagIds ?? [])
        db.insert(workerTagMembership).values({ workerTagId: tagId, workerId: worker.id }).run();
      return worker;
    },

    addTag(name: string): number {
      return db.insert(workerTags).values({ uuid: uuid(), name }).returning().get().id;
    },

    addFailure(task: TaskRow, worker: WorkerRow): void {
      db.insert(taskFailures).values({ taskId: task.id, workerId: worker.id }).run();
    },

    addBlock(job: JobRow, worker: WorkerRow, taskType = "misc"): void {
      db.insert(jobBlocks).values({ jobId: job.id, workerId: worker.id, taskType }).run();
    },

    job(row: JobRow): JobRow {
      return db.select().from(jobs).where(eq(jobs.id, row.id)).get()!;
    },

    task(row: TaskRow): TaskRow {
      return db.select().from(tasks).where(eq(tasks.id, row.id)).get()!;
    },

    tasksOf(job: JobRow): TaskRow[] {
      return db.select().from(tasks).where(eq(tasks.jobId, job.id)).orderBy(tasks.id).all();
    },

    failuresOf(task: TaskRow): number[] {
      return db
        .select()
        .from(taskFailures)
        .where(eq(taskFailures.taskId, task.id))
        .all()
        .map((f) => f.workerId);
    },

    blocksOf(job: JobRow): { workerId: number; taskType: string }[] {
      return db
        .select({ workerId: jobBlocks.workerId, taskType: jobBlocks.taskType })
        .from(jobBlocks)
        .where(eq(jobBlocks.jobId, job.id))
        .all();
    },

    jobEvents(): Payload[] {
      return events.filter((e) => e.event === "/jobs").map((e) => e.payload as Payload);
    },

    taskEvents(): Payload[] {
      return events.filter((e) => e.event === "/task").map((e) => e.payload as Payload);
    },

    linesOf(task: TaskRow): string[] {
      return lines.filter((l) => l.taskUUID === task.uuid).map((l) => l.line);
    },

    /** Makes every UPDATE of this job fail inside SQLite, the way a broken disk would. */
    breakJobSaves(job: JobRow): void {
      sqlite.exec(
        `CREATE TRIGGER break_job_${job.id} BEFORE UPDATE ON jobs WHEN OLD.id = ${job.id} ` +
          `BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
      );
    },
  };
}

export type Fixture = ReturnType<typeof createFixture>;
