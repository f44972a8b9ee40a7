// Jobs: submission (two-way variables, compile, store, announce), queries, and the priority and
// worker-tag changes. Status changes go through the state machine; deletion through the deleter.
import type { Clock } from "../../shared/clock";
import type { Logger } from "../../shared/log";
import type { JobStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import { allJobs, jobByUUID, setJobPriority, setJobWorkerTag } from "../db/queries/jobs";
import {
  taskWithJobUUIDAndWorker,
  tasksOfJobWithWorkers,
  workersThatFailedTask,
} from "../db/queries/task-views";
import { allWorkerTags, workerTagById, workerTagByName, workerTagByUUID } from "../db/queries/worker-tags";
import type { JobRow, WorkerTagRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { ApiError, badRequest, notFound } from "../errors";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { jobUpdate } from "../events/payloads";
import { replaceTwoWay, type ManagerConfig } from "../config";
import { JobTypeError, SettingsError, type JobTypeRegistry } from "./job-types";
import { checkSubmissionSize } from "./limits";
import { storeCompiledJob } from "./store";
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
  initial_status?: JobStatus;
}

/** Tablao restricts the submission status to the two a client has a reason to ask for. */
const SUBMITTABLE_STATUSES: readonly JobStatus[] = ["queued", "paused"];

export interface JobServiceDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  jobTypes: JobTypeRegistry;
  config: () => ManagerConfig;
  log: Logger;
}

export type JobService = ReturnType<typeof createJobService>;

export function createJobService(deps: JobServiceDeps) {
  const { db, broker, clock, jobTypes } = deps;

  function findJob(uuid: string): JobRow {
    const job = jobByUUID(db, uuid);
    if (!job) throw notFound("no such job");
    return job;
  }

  function tagUUIDOf(job: JobRow): string | null {
    if (job.workerTagId === null) return null;
    return workerTagById(db, job.workerTagId)?.uuid ?? null;
  }

  function findTagId(tagUUID: string | undefined): number | null {
    if (!tagUUID) return null;
    const tag = workerTagByUUID(db, tagUUID);
    if (!tag) throw badRequest(`worker_tag: no worker tag with ID ${tagUUID}`);
    return tag.id;
  }

  /** The tag a tag change names: `{id}` wins over `{name}`, neither means none. */
  function tagIdOfChange(change: { id?: string; name?: string }): number | null {
    let tag: WorkerTagRow | undefined;
    if (change.id !== undefined) tag = workerTagByUUID(db, change.id);
    else if (change.name !== undefined) tag = workerTagByName(db, change.name);
    else return null;
    if (!tag) throw new ApiError(406, "tag not found");
    return tag.id;
  }

  function initialStatus(body: SubmittedJob): JobStatus {
    const status = body.initial_status ?? "queued";
    if (SUBMITTABLE_STATUSES.includes(status)) return status;
    throw badRequest(
      `initial_status: a job can only be submitted as ${SUBMITTABLE_STATUSES.join(" or ")}, not "${status}"`,
    );
  }

  /** Steps 2-5 of submission, shared by submit and check: returns the compiled job and its status. */
  async function compile(body: SubmittedJob) {
    checkSubmissionSize(body);
    const status = initialStatus(body);
    const cfg = deps.config();
    const platform = body.submitter_platform === "manager" ? cfg.platform : body.submitter_platform;
    if (!body.type_etag) deps.log("debug", `job "${body.name}" submitted without type_etag; not checking it`);
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
      const compiled = await jobTypes.compile({
        name: body.name,
        type: body.type,
        priority: body.priority,
        settings: replaced.settings,
        metadata: replaced.metadata,
        submitter_platform: platform,
        worker_tag: body.worker_tag ?? "",
        storage: { shaman_checkout_id: body.storage?.shaman_checkout_id ?? "" },
      });
      return { compiled, status };
    } catch (err) {
      if (err instanceof JobTypeError) {
        throw err.code === "unknown-job-type"
          ? badRequest(`type: job type "${body.type}" is unknown`)
          : badRequest(err.message);
      }
      if (err instanceof SettingsError) throw badRequest(`settings: ${err.message}`);
      throw err;
    }
  }

  /** Runs `step`, logging its refusal (once, here) before the HTTP layer answers it. */
  async function logRefusal<T>(what: string, body: SubmittedJob, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof ApiError) {
        deps.log(
          "info",
          `${what} of job "${body.name}" (${body.type}) refused: ${err.status} ${err.message}`,
        );
      }
      throw err;
    }
  }

  return {
    async submit(body: SubmittedJob) {
      const { compiled, job } = await logRefusal("submission", body, async () => {
        const { compiled, status } = await compile(body);
        const job = await storeCompiledJob({ db, broker }, compiled, {
          status,
          workerTagId: findTagId(body.worker_tag),
          now: clock.now(),
        });
        return { compiled, job };
      });
      deps.log(
        "info",
        `job "${job.name}" (${job.jobType}, ${compiled.tasks.length} tasks, priority ${job.priority}) submitted as ${job.uuid}, ${job.status}`,
      );
      return jobView(job, body.worker_tag || null);
    },

    async check(body: SubmittedJob): Promise<void> {
      await logRefusal("check", body, async () => {
        findTagId(body.worker_tag);
        await compile(body);
      });
    },

    list() {
      const tagUUIDs = new Map(allWorkerTags(db).map((t) => [t.id, t.uuid]));
      return allJobs(db).map((j) => jobView(j, j.workerTagId === null ? null : tagUUIDs.get(j.workerTagId)));
    },

    get(uuid: string) {
      const job = findJob(uuid);
      return jobView(job, tagUUIDOf(job));
    },

    /** Tablao answers 404 for an unknown job (Flamenco: an empty list). */
    tasksOf(uuid: string) {
      const job = findJob(uuid);
      return tasksOfJobWithWorkers(db, job.id).map((r) => taskSummaryView(r.task, r.worker));
    },

    task(uuid: string) {
      const row = taskWithJobUUIDAndWorker(db, uuid);
      if (!row) throw notFound("no such task");
      return taskView(row.task, row.jobUUID, row.worker, workersThatFailedTask(db, row.task.id));
    },

    setPriority(uuid: string, priority: number): void {
      inTransaction(db, (tx) => {
        const emit = emitAfterCommit(broker, tx);
        const job = findJob(uuid);
        emit(jobUpdate(setJobPriority(tx, job.id, priority, clock.now())));
      });
    },

    /** `{id}` wins over `{name}`; neither clears the tag. Unknown tags give 406 as Flamenco. */
    setTag(uuid: string, change: { id?: string; name?: string }): void {
      inTransaction(db, (tx) => {
        const emit = emitAfterCommit(broker, tx);
        const job = findJob(uuid);
        const tagId = tagIdOfChange(change);
        emit(jobUpdate(setJobWorkerTag(tx, job.id, tagId, clock.now())));
      });
    },

    findJob,
  };
}
