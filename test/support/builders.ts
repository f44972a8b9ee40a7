// The one way tests make a farm's rows: a test database (createTestFarm), and jobs, tasks,
// workers and tags with their relations, each made from an options object whose every field has
// a default. Rows are inserted as the Manager stores them (the counter triggers run), through
// inTransaction; nothing here goes through the Manager's services, so a test states exactly what
// the farm holds before the code under test runs.
//
// Signature rule: the rows a new row belongs to come first (a task's job; a failure's task and
// worker), then one options object. The builders of jobs, tasks, workers and tags return the
// inserted row; options that refer to other rows take the rows (or anything with their `id`),
// not ids.
import { asc, eq } from "drizzle-orm";
import type { Clock } from "../../src/shared/clock";
import type { JobStatus, StoredWorkerStatus, TaskStatus } from "../../src/shared/statuses";
import type { Db } from "../../src/manager/db/connection";
import { openDatabase } from "../../src/manager/db/open";
import { inTransaction } from "../../src/manager/db/transaction";
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
  type WorkerTagRow,
} from "../../src/manager/db/schema";
import {
  createEventBroker,
  type EventBroker,
  type EventName,
  type PublishedEvent,
} from "../../src/manager/events/broker";
import { basicAuthHeader } from "../../src/worker/client";
import type { FailureThresholds } from "../../src/manager/state-machine/state-machine";
import { FakeClock } from "./fake-clock";

/** The failure thresholds of a Manager without configuration (both default to 3). */
export const DEFAULT_THRESHOLDS: FailureThresholds = { blocklistThreshold: 3, taskFailAfterSoftfailCount: 3 };

/** The secret of every worker a builder makes (stored bcrypt-hashed, as registration does). */
const TEST_WORKER_SECRET = "secret-of-every-test-worker";
/** Task types a worker supports unless told otherwise. */
const DEFAULT_TASK_TYPES = ["blender", "ffmpeg", "misc"];
/** The task type of a task (and of a blocklist entry) unless told otherwise. */
const DEFAULT_TASK_TYPE = "blender";
/** The job type of a job unless told otherwise; its tasks are `blender` (and `ffmpeg`) tasks. */
const DEFAULT_JOB_TYPE = "simple-blender-render";

/** Anything that names a row by its database id: the row itself will do. */
type Ref = { id: number };
type Payload = Record<string, unknown>;

export interface JobOptions {
  /** Default `job <n>`, n from the farm's sequence. */
  name?: string;
  uuid?: string;
  /** The job type. Default "simple-blender-render". */
  type?: string;
  /** Default "queued". */
  status?: JobStatus;
  /** Default 50. */
  priority?: number;
  /** The worker tag the job is limited to. Default none. */
  tag?: Ref | null;
  activity?: string;
  settings?: Record<string, unknown>;
  metadata?: Record<string, string>;
  deleteRequestedAt?: Date | null;
  /** Also its `updatedAt`. Default now on the farm's clock. */
  createdAt?: Date;
  /**
   * What the job row claims before its tasks are counted; the counter triggers replace it (only
   * tests of those triggers want this). Default 0.
   */
  stepsTotal?: number;
}

export interface TaskOptions {
  /** Default `task <n>`, n from the farm's sequence, which is also its index in the job. */
  name?: string;
  uuid?: string;
  /** Default "blender". */
  type?: string;
  /** Default "queued". */
  status?: TaskStatus;
  /** Default 50. */
  priority?: number;
  /** The worker it is assigned to. Default none. */
  worker?: Ref | null;
  /** Tasks it depends on (rows already added). Default none. */
  dependsOn?: Ref[];
  /** Default one `echo` command. */
  commands?: TaskCommand[];
  /** Default 1. */
  stepsTotal?: number;
  /** Default all steps for a completed task, else 0. */
  stepsCompleted?: number;
  activity?: string;
  lastTouchedAt?: Date | null;
  /** Default the farm's sequence number. */
  indexInJob?: number;
  /** Also its `updatedAt`. Default now on the farm's clock. */
  createdAt?: Date;
}

export interface WorkerOptions {
  /** Default `worker <n>`, n from the farm's sequence. */
  name?: string;
  uuid?: string;
  /** Default "awake"; "" is a worker that registered and never signed on. */
  status?: StoredWorkerStatus;
  /** Default blender, ffmpeg and misc. */
  taskTypes?: string[];
  /** Worker tags it is a member of. Default none. */
  tags?: Ref[];
  /** Default "linux". */
  platform?: string;
  software?: string;
  address?: string;
  statusRequested?: StoredWorkerStatus;
  lazyStatusRequest?: boolean;
  canRestart?: boolean;
  lastSeenAt?: Date | null;
  /** Also its `updatedAt`. Default now on the farm's clock. */
  createdAt?: Date;
}

export interface TagOptions {
  /** Default `tag <n>`, n from the farm's sequence. */
  name?: string;
  uuid?: string;
  description?: string;
}

export interface BlockOptions {
  /** Default "blender". */
  taskType?: string;
}

let hashedSecret: string | null = null;
/** bcrypt at Flamenco's cost (4), computed once per process. */
function testSecretHash(): string {
  return (hashedSecret ??= Bun.password.hashSync(TEST_WORKER_SECRET, { algorithm: "bcrypt", cost: 4 }));
}

/** The Authorization header of a worker a builder made. */
export function testWorkerAuth(worker: Pick<WorkerRow, "uuid">): { Authorization: string } {
  return { Authorization: basicAuthHeader(worker.uuid, TEST_WORKER_SECRET) };
}

/** Builders over a database; `clock` stamps created/updated times (default the system clock). */
function createBuilders(db: Db, opts: { clock?: Pick<Clock, "now"> } = {}) {
  const now = () => (opts.clock ? opts.clock.now() : new Date());
  let seq = 0;
  const write = <T>(fn: () => T): T => inTransaction(db, fn);

  function addDependency(task: Ref, dependency: Ref): void {
    write(() =>
      db.orm.insert(taskDependencies).values({ taskId: task.id, dependencyId: dependency.id }).run(),
    );
  }

  function addTask(job: Ref, o: TaskOptions = {}): TaskRow {
    const at = o.createdAt ?? now();
    const n = ++seq;
    const status = o.status ?? "queued";
    const stepsTotal = o.stepsTotal ?? 1;
    return write(() => {
      const task = db.orm
        .insert(tasks)
        .values({
          uuid: o.uuid ?? crypto.randomUUID(),
          name: o.name ?? `task ${n}`,
          type: o.type ?? DEFAULT_TASK_TYPE,
          jobId: job.id,
          indexInJob: o.indexInJob ?? n,
          priority: o.priority ?? 50,
          status,
          workerId: o.worker?.id ?? null,
          lastTouchedAt: o.lastTouchedAt ?? null,
          commands: o.commands ?? [{ name: "echo", parameters: { message: "hi" }, total_step_count: 0 }],
          activity: o.activity ?? "",
          stepsTotal,
          stepsCompleted: o.stepsCompleted ?? (status === "completed" ? stepsTotal : 0),
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get();
      for (const dep of o.dependsOn ?? []) addDependency(task, dep);
      // Re-read: the dependency triggers count unmet dependencies into the row.
      return o.dependsOn?.length ? reader.task(task) : task;
    });
  }

  function addJob(o: JobOptions = {}): JobRow {
    const at = o.createdAt ?? now();
    const n = ++seq;
    return write(() =>
      db.orm
        .insert(jobs)
        .values({
          uuid: o.uuid ?? crypto.randomUUID(),
          name: o.name ?? `job ${n}`,
          jobType: o.type ?? DEFAULT_JOB_TYPE,
          priority: o.priority ?? 50,
          status: o.status ?? "queued",
          activity: o.activity ?? "",
          settings: o.settings ?? {},
          metadata: o.metadata ?? {},
          deleteRequestedAt: o.deleteRequestedAt ?? null,
          workerTagId: o.tag?.id ?? null,
          stepsTotal: o.stepsTotal ?? 0,
          createdAt: at,
          updatedAt: at,
        })
        .returning()
        .get(),
    );
  }

  const reader = {
    /** A job as stored now, by id (or row); it must exist. */
    job: (ref: Ref | number): JobRow =>
      mustExist(
        "job",
        ref,
        db.orm
          .select()
          .from(jobs)
          .where(eq(jobs.id, idOf(ref)))
          .get(),
      ),
    /** A task as stored now, by id (or row); it must exist. */
    task: (ref: Ref | number): TaskRow =>
      mustExist(
        "task",
        ref,
        db.orm
          .select()
          .from(tasks)
          .where(eq(tasks.id, idOf(ref)))
          .get(),
      ),
    /** A worker as stored now; by id (or row), or by UUID (undefined when there is none). */
    worker: ((ref: Ref | number | string) =>
      typeof ref === "string"
        ? db.orm.select().from(workers).where(eq(workers.uuid, ref)).get()
        : mustExist(
            "worker",
            ref,
            db.orm
              .select()
              .from(workers)
              .where(eq(workers.id, idOf(ref)))
              .get(),
          )) as RowReader<WorkerRow>,
    /** A job's tasks in the order they were added. */
    tasksOf(job: Ref): TaskRow[] {
      return db.orm.select().from(tasks).where(eq(tasks.jobId, job.id)).orderBy(asc(tasks.id)).all();
    },
    /** The ids of the workers that failed a task. */
    failuresOf(task: Ref): number[] {
      return db.orm
        .select({ workerId: taskFailures.workerId })
        .from(taskFailures)
        .where(eq(taskFailures.taskId, task.id))
        .all()
        .map((f) => f.workerId);
    },
    /** A job's blocklist. */
    blocksOf(job: Ref): { workerId: number; taskType: string }[] {
      return db.orm
        .select({ workerId: jobBlocks.workerId, taskType: jobBlocks.taskType })
        .from(jobBlocks)
        .where(eq(jobBlocks.jobId, job.id))
        .all();
    },
    /** The tag ids a worker is a member of. */
    tagsOf(worker: Ref): number[] {
      return db.orm
        .select({ id: workerTagMembership.workerTagId })
        .from(workerTagMembership)
        .where(eq(workerTagMembership.workerId, worker.id))
        .all()
        .map((m) => m.id);
    },
  };

  return {
    ...reader,

    /** The next number of the farm's sequence, which also numbers default names. */
    sequence: () => ++seq,

    addJob,

    /** A job and its tasks, in one transaction; the job as stored once its tasks are counted. */
    addJobWithTasks(o: JobOptions & { tasks: TaskOptions[] }): { job: JobRow; tasks: TaskRow[] } {
      const { tasks: specs, ...jobOptions } = o;
      return write(() => {
        const job = addJob(jobOptions);
        const made = specs.map((spec) => addTask(job, spec));
        return { job: reader.job(job), tasks: made };
      });
    },

    addTask,

    /** `count` tasks made alike, in one transaction. */
    addTasks(job: Ref, count: number, o: TaskOptions = {}): TaskRow[] {
      return write(() => Array.from({ length: count }, () => addTask(job, o)));
    },

    addDependency,

    addWorker(o: WorkerOptions = {}): WorkerRow {
      const at = o.createdAt ?? now();
      const n = ++seq;
      return write(() => {
        const worker = db.orm
          .insert(workers)
          .values({
            uuid: o.uuid ?? crypto.randomUUID(),
            secret: testSecretHash(),
            name: o.name ?? `worker ${n}`,
            status: o.status ?? "awake",
            supportedTaskTypes: (o.taskTypes ?? DEFAULT_TASK_TYPES).join(","),
            platform: o.platform ?? "linux",
            software: o.software ?? "",
            address: o.address ?? "",
            statusRequested: o.statusRequested ?? "",
            lazyStatusRequest: o.lazyStatusRequest ?? false,
            canRestart: o.canRestart ?? false,
            lastSeenAt: o.lastSeenAt ?? null,
            createdAt: at,
            updatedAt: at,
          })
          .returning()
          .get();
        for (const tag of o.tags ?? [])
          db.orm.insert(workerTagMembership).values({ workerTagId: tag.id, workerId: worker.id }).run();
        return worker;
      });
    },

    addTag(o: TagOptions = {}): WorkerTagRow {
      const n = ++seq;
      return write(() =>
        db.orm
          .insert(workerTags)
          .values({
            uuid: o.uuid ?? crypto.randomUUID(),
            name: o.name ?? `tag ${n}`,
            description: o.description ?? "",
          })
          .returning()
          .get(),
      );
    },

    /** The worker failed the task (a task_failures row), as the failure handling records it. */
    addFailure(task: Ref, worker: Ref): void {
      write(() => db.orm.insert(taskFailures).values({ taskId: task.id, workerId: worker.id }).run());
    },

    /** The worker is blocklisted from the job for a task type. */
    addBlock(job: Ref, worker: Ref, o: BlockOptions = {}): void {
      write(() =>
        db.orm
          .insert(jobBlocks)
          .values({ jobId: job.id, workerId: worker.id, taskType: o.taskType ?? DEFAULT_TASK_TYPE })
          .run(),
      );
    },
  };
}

/** By id or row: the row, which must exist. By UUID: the row, or undefined. */
interface RowReader<Row> {
  (ref: Ref | number): Row;
  (uuid: string): Row | undefined;
}

const idOf = (ref: Ref | number) => (typeof ref === "number" ? ref : ref.id);

function mustExist<Row>(what: string, ref: Ref | number, row: Row | undefined): Row {
  if (!row) throw new Error(`no ${what} with id ${idOf(ref)}`);
  return row;
}

export interface TestFarmOptions {
  /** A database file (e.g. in a temp dir) instead of a fresh in-memory database. */
  path?: string;
  /** Default a FakeClock at its default start. */
  clock?: FakeClock;
}

/**
 * A fresh migrated database with the builders, a fake clock, and an event broker whose events
 * are recorded: what every service-level test starts from. Fixtures add the services they test.
 */
export function createTestFarm(opts: TestFarmOptions = {}) {
  const opened = openDatabase(opts.path ?? ":memory:");
  const clock = opts.clock ?? new FakeClock();
  const broker: EventBroker = createEventBroker();
  const events: PublishedEvent[] = [];
  broker.listen((e) => events.push(e));
  return {
    ...createBuilders(opened.db, { clock }),
    db: opened.db,
    /** The driver's connection, for raw SQL a test needs (a trigger that breaks saves, say). */
    sqlite: opened.sqlite,
    close: () => opened.close(),
    clock,
    broker,
    /** Every event published, in order. */
    events,
    /** The payloads of the events of one name (e.g. "/jobs"), in order. */
    eventsOf(name: EventName): Payload[] {
      return events.filter((e) => e.event === name).map((e) => e.payload as Payload);
    },
    clearEvents(): void {
      events.length = 0;
    },
  };
}

export type TestFarm = ReturnType<typeof createTestFarm>;
