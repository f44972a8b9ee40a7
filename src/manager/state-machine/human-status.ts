// The human status endpoints: a person sets a job's or a task's status. Flamenco accepts every
// status from every status, and so does Tablao; unknown IDs are 404, malformed ones 400.
import { isJobStatus, isTaskStatus, type JobStatus, type TaskStatus } from "../../shared/statuses";
import { jobByUUID } from "../db/queries/jobs";
import { clearJobFailures, clearTaskFailures } from "../db/queries/task-failures";
import { setTaskActivity, taskByUUID } from "../db/queries/tasks";
import type { JobRow, TaskRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { badRequest, notFound } from "../errors";
import { emitAfterCommit } from "../events/broker";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import type { TaskStateMachine } from "./task-state";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HumanStatusChanges {
  /** Requeueing also forgets the job's failure lists and blocklist. Returns the saved job. */
  setJobStatus(jobUUID: string, status: JobStatus, reason: string): JobRow;
  /** The reason becomes the task's activity; queueing forgets its failure list. Returns the saved task. */
  setTaskStatus(taskUUID: string, status: TaskStatus, reason: string): TaskRow;
}

export function createHumanStatusChanges(
  deps: Pick<StateMachineDeps, "db" | "broker" | "clock">,
  machines: { task: TaskStateMachine; job: JobStateMachine },
): HumanStatusChanges {
  const { db, broker, clock } = deps;
  return {
    setJobStatus(jobUUID, status, reason) {
      if (!UUID_RE.test(jobUUID)) throw badRequest("job ID not valid");
      // The route's schema checks the status too; this keeps the service safe on its own.
      if (!isJobStatus(status)) throw badRequest(`invalid job status ${JSON.stringify(status)}`);
      return inTransaction(db, (tx) => {
        const job = jobByUUID(tx, jobUUID);
        if (!job) throw notFound("no such job");
        const saved = machines.job.jobStatusChange(tx, emitAfterCommit(broker, tx), job, status, reason);
        // Also when the job was already requeueing: the human asked for a clean slate.
        if (status === "requeueing") clearJobFailures(tx, job.id);
        return saved;
      });
    },

    setTaskStatus(taskUUID, status, reason) {
      if (!isTaskStatus(status)) throw badRequest(`invalid task status ${JSON.stringify(status)}`);
      return inTransaction(db, (tx) => {
        const task = taskByUUID(tx, taskUUID);
        if (!task) throw notFound("no such task");
        const withReason = setTaskActivity(tx, task.id, reason, clock.now()) ?? task;
        const saved = machines.task.taskStatusChange(tx, emitAfterCommit(broker, tx), withReason, status);
        if (status === "queued") clearTaskFailures(tx, task.id);
        return saved;
      });
    },
  };
}
