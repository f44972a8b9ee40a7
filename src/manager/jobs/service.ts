// Jobs: submission (two-way variables, compile, store, announce), queries, and the priority and
// worker-tag changes. Status changes go through the state machine; deletion through the deleter.
import { asc, eq } from "drizzle-orm";
import type { Clock } from "../../shared/clock";
import { jobs, taskFailures, tasks, workers, workerTags, type JobRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { Db } from "../db/types";
import { ApiError, badRequest, notFound } from "../errors";
import type { EventBroker } from "../events/broker";
import { jobUpdate } from "../events/payloads";
import { replaceTwoWay, type ManagerConfig } from "../config";
import { JobTypeError, SettingsError, type JobTypeRegistry } from "./job-types";
import { insertCompiledJob } from "./store";
import { jobView, taskSummaryView, taskView } from "./views";

/** What a client may submit; matches the SubmittedJob schema of the contract. */
export interface SubmittedJob {
  name: string;
  type: string;
  priority: number;
  submitter_platform: string;
  type_etag?: string;
  settings?: Record<string, unknown>;
  metadata?: Record<string, string>;
  storage?: { shaman_checkout_id?: string };
  worker_tag?: string;
  initial_status?: string;
}

/** Tablao restricts the submission status to the two a client has a reason to ask for. */
export const SUBMITTABLE_STATUSES = ["queued", "paused"] as const;

export interface JobServiceDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  jobTypes: JobTypeRegistry;
  config: () => ManagerConfig;
  log: (msg: string) => void;
}

export type JobService = ReturnType<typeof createJobService>;

export function createJobService(deps: JobServiceDeps) {
  const { db, broker, clock, jobTypes } = deps;

  function findJob(uuid: string): JobRow {
    const job = db.select().from(jobs).where(eq(jobs.uuid, uuid)).get();
    if (!job) throw notFound("no such job");
    return job;
  }

  function tagUUIDOf(job: JobRow): string | null {
    if (job.workerTagId === null) return null;
    return (
      db.select({ uuid: workerTags.uuid }).from(workerTags).where(eq(workerTags.id, job.workerTagId)).get()
        ?.uuid ?? null
    );
  }

  function findTagId(tagUUID: string | undefined): number | null {
    if (!tagUUID) return null;
    const tag = db.select({ id: workerTags.id }).from(workerTags).where(eq(workerTags.uuid, tagUUID)).get();
    if (!tag) throw badRequest(`worker_tag: no worker tag with ID ${tagUUID}`);
    return tag.id;
  }

  /** Steps 2-5 of submission, shared by submit and check: returns the compiled job. */
  async function compile(body: SubmittedJob) {
    if (body.initial_status && !(SUBMITTABLE_STATUSES as readonly string[]).includes(body.initial_status)) {
      throw badRequest(
        `initial_status: a job can only be submitted as ${SUBMITTABLE_STATUSES.join(" or ")}, not "${body.initial_status}"`,
      );
    }
    const cfg = deps.config();
    const platform = body.submitter_platform === "manager" ? cfg.platform : body.submitter_platform;
    if (!body.type_etag) deps.log(`job "${body.name}" submitted without type_etag; not checking it`);
    try {
      if (body.type_etag) {
        const type = await jobTypes.get(body.type);
        if (type.etag !== body.type_etag) {
          throw new ApiError(
            412,
            `job type "${body.type}" has changed since the client fetched it (etag ${body.type_etag} is stale); refresh the job types and submit again`,
          );
        }
      }
      const replaced = replaceTwoWay(cfg, platform, body.settings ?? {}, body.metadata ?? {});
      return await jobTypes.compile({
        name: body.name,
        type: body.type,
        priority: body.priority,
        settings: replaced.settings,
        metadata: replaced.metadata,
        submitter_platform: platform,
        worker_tag: body.worker_tag ?? "",
        storage: { shaman_checkout_id: body.storage?.shaman_checkout_id ?? "" },
      });
    } catch (err) {
      if (err instanceof JobTypeError) {
        throw err.code === "unknown-job-type"
          ? badRequest(`type: job type "${body.type}" is unknown`)
          : badRequest(err.message);
      }
      if (err instanceof SettingsError) throw badRequest(`settings.${err.setting}: ${err.message}`);
      throw err;
    }
  }

  return {
    async submit(body: SubmittedJob) {
      const compiled = await compile(body);
      const job = inTransaction(db, broker, (tx, emit) => {
        const job = insertCompiledJob(tx, compiled, {
          status: body.initial_status ?? "queued",
          workerTagId: findTagId(body.worker_tag),
          now: clock.now(),
        });
        emit(jobUpdate(job));
        return job;
      });
      return jobView(job, body.worker_tag || null);
    },

    async check(body: SubmittedJob): Promise<void> {
      findTagId(body.worker_tag);
      await compile(body);
    },

    list() {
      const tagUUIDs = new Map(
        db
          .select({ id: workerTags.id, uuid: workerTags.uuid })
          .from(workerTags)
          .all()
          .map((t) => [t.id, t.uuid]),
      );
      return db
        .select()
        .from(jobs)
        .orderBy(asc(jobs.id))
        .all()
        .map((j) => jobView(j, j.workerTagId === null ? null : tagUUIDs.get(j.workerTagId)));
    },

    get(uuid: string) {
      const job = findJob(uuid);
      return jobView(job, tagUUIDOf(job));
    },

    /** Tablao answers 404 for an unknown job (Flamenco: an empty list). */
    tasksOf(uuid: string) {
      const job = findJob(uuid);
      const rows = db
        .select({ task: tasks, worker: { uuid: workers.uuid, name: workers.name, address: workers.address } })
        .from(tasks)
        .leftJoin(workers, eq(tasks.workerId, workers.id))
        .where(eq(tasks.jobId, job.id))
        .orderBy(asc(tasks.indexInJob))
        .all();
      return rows.map((r) => taskSummaryView(r.task, r.worker));
    },

    task(uuid: string) {
      const row = db
        .select({
          task: tasks,
          jobUUID: jobs.uuid,
          worker: { uuid: workers.uuid, name: workers.name, address: workers.address },
        })
        .from(tasks)
        .innerJoin(jobs, eq(tasks.jobId, jobs.id))
        .leftJoin(workers, eq(tasks.workerId, workers.id))
        .where(eq(tasks.uuid, uuid))
        .get();
      if (!row) throw notFound("no such task");
      const failedBy = db
        .select({ uuid: workers.uuid, name: workers.name, address: workers.address })
        .from(taskFailures)
        .innerJoin(workers, eq(taskFailures.workerId, workers.id))
        .where(eq(taskFailures.taskId, row.task.id))
        .orderBy(asc(workers.name))
        .all();
      return taskView(row.task, row.jobUUID, row.worker, failedBy);
    },

    setPriority(uuid: string, priority: number): void {
      inTransaction(db, broker, (tx, emit) => {
        const job = findJob(uuid);
        const saved = tx
          .update(jobs)
          .set({ priority, updatedAt: clock.now() })
          .where(eq(jobs.id, job.id))
          .returning()
          .get();
        emit(jobUpdate(saved));
      });
    },

    /** `{id}` wins over `{name}`; neither clears the tag. Unknown tags give 406 as Flamenco. */
    setTag(uuid: string, change: { id?: string; name?: string }): void {
      inTransaction(db, broker, (tx, emit) => {
        const job = findJob(uuid);
        let tagId: number | null = null;
        if (change.id !== undefined || change.name !== undefined) {
          const tag = db
            .select({ id: workerTags.id })
            .from(workerTags)
            .where(
              change.id !== undefined ? eq(workerTags.uuid, change.id) : eq(workerTags.name, change.name!),
            )
            .get();
          if (!tag) throw new ApiError(406, "tag not found");
          tagId = tag.id;
        }
        const saved = tx
          .update(jobs)
          .set({ workerTagId: tagId, updatedAt: clock.now() })
          .where(eq(jobs.id, job.id))
          .returning()
          .get();
        emit(jobUpdate(saved));
      });
    },

    findJob,
  };
}
