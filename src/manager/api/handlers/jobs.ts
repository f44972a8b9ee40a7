// Handlers of the `jobs` operations: job types, submission, queries, status, priority and tag
// changes, blocklists and deletion. Each validates through the contract and calls one service.
import type { BlocklistService } from "../../jobs/blocklist";
import type { JobDeleter } from "../../jobs/deleter";
import { JobTypeError, type JobTypeRegistry } from "../../jobs/job-types";
import type { JobService } from "../../jobs/service";
import type { StateMachine } from "../../state-machine/state-machine";
import { ApiError } from "../../errors";
import type { z } from "@hono/zod-openapi";
import type { AvailableJobType } from "../schemas";
import type { Handlers } from "./registry";

export interface JobHandlerDeps {
  jobs: JobService;
  jobTypes: JobTypeRegistry;
  deleter: JobDeleter;
  blocklist: BlocklistService;
  stateMachine: Pick<StateMachine, "setJobStatus" | "setTaskStatus">;
}

/**
 * Scripts may declare any setting type and omit `settings`; like Flamenco, Tablao passes what
 * the script says through rather than rejecting a user's job type.
 */
const asWireJobType = (t: unknown) => t as z.infer<typeof AvailableJobType>;

export function jobHandlers(deps: JobHandlerDeps): Handlers {
  const { jobs } = deps;

  return {
    getJobTypes: async (c) => {
      const types = await deps.jobTypes.list();
      return c.json({ job_types: types.map(asWireJobType) }, 200);
    },

    getJobType: async (c) => {
      const { typeName } = c.req.valid("param");
      try {
        return c.json(asWireJobType(await deps.jobTypes.get(typeName)), 200);
      } catch (err) {
        if (err instanceof JobTypeError && err.code === "unknown-job-type") {
          throw new ApiError(404, `no such job type known: ${typeName}`);
        }
        if (err instanceof JobTypeError) throw new ApiError(422, err.message);
        throw err;
      }
    },

    submitJob: async (c) => c.json(await jobs.submit(c.req.valid("json")), 200),

    submitJobCheck: async (c) => {
      await jobs.check(c.req.valid("json"));
      return c.body(null, 204);
    },

    fetchJobs: (c) => c.json({ jobs: jobs.list() }, 200),

    fetchJob: (c) => c.json(jobs.get(c.req.valid("param").job_id), 200),

    fetchJobTasks: (c) => c.json({ tasks: jobs.tasksOf(c.req.valid("param").job_id) }, 200),

    fetchTask: (c) => c.json(jobs.task(c.req.valid("param").task_id), 200),

    setJobStatus: (c) => {
      const { status, reason } = c.req.valid("json");
      deps.stateMachine.setJobStatus(c.req.valid("param").job_id, status, reason);
      return c.body(null, 204);
    },

    setTaskStatus: (c) => {
      const { status, reason } = c.req.valid("json");
      deps.stateMachine.setTaskStatus(c.req.valid("param").task_id, status, reason);
      return c.body(null, 204);
    },

    setJobPriority: (c) => {
      jobs.setPriority(c.req.valid("param").job_id, c.req.valid("json").priority);
      return c.body(null, 204);
    },

    setJobTag: (c) => {
      jobs.setTag(c.req.valid("param").job_id, c.req.valid("json"));
      return c.body(null, 204);
    },

    fetchJobBlocklist: (c) => c.json(deps.blocklist.fetch(c.req.valid("param").job_id), 200),

    removeJobBlocklist: (c) => {
      deps.blocklist.remove(c.req.valid("param").job_id, c.req.valid("json"));
      return c.body(null, 204);
    },

    deleteJobWhatWouldItDo: (c) => c.json(deps.deleter.whatWouldDeleteDo(c.req.valid("param").job_id), 200),

    deleteJob: (c) => {
      deps.deleter.requestDeletion(c.req.valid("param").job_id);
      return c.body(null, 204);
    },

    deleteJobMass: (c) => {
      deps.deleter.massDelete(new Date(c.req.valid("json").last_updated_max));
      return c.body(null, 204);
    },
  };
}
