// The human status endpoints (state-machines.md §5.7): a person sets a job's or a task's
// status. Flamenco accepts every enum value from every status, and so does Tablao; bad IDs
// and non-enum statuses are client errors (4xx), never a 500.
import { eq } from "drizzle-orm";
import { jobs, tasks, type JobRow, type TaskRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { Db, DbOrTx } from "../db/types";
import { badRequest, notFound } from "../errors";
import type { EventBroker } from "../events/broker";
import { clearJobFailures, clearTaskFailures } from "./failures";
import type { JobStateMachine } from "./job-state";
import { isJobStatus, isTaskStatus } from "./statuses";
import type { StateMachineDeps } from "./deps";
import type { TaskStateMachine } from "./task-state";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HumanStatusChanges {
  /** Requeueing also forgets the job's failure lists and blocklist. Returns the saved job. */
  setJobStatus(db: Db, broker: EventBroker, jobUUID: string, status: string, reason: string): JobRow;
  /** The reason becomes the task's activity; queueing forgets its failure list. Returns the saved task. */
  setTaskStatus(db: Db, broker: EventBroker, taskUUID: string, status: string, reason: string): TaskRow;
}

export function createHumanStatusChanges(
  deps: Pick<StateMachineDeps, "clock">,
  machines: { task: TaskStateMachine; job: JobStateMachine },
): HumanStatusChanges {
  return {
    setJobStatus(db, broker, jobUUID, status, reason) {
      if (!UUID_RE.test(jobUUID)) throw badRequest("job ID not valid");
      if (!isJobStatus(status)) throw badRequest(`invalid job status ${JSON.stringify(status)}`);
      return inTransaction(db, broker, (tx: DbOrTx, emit) => {
        const job = tx.select().from(jobs).where(eq(jobs.uuid, jobUUID)).get();
        if (!job) throw notFound("no such job");
        const saved = machines.job.jobStatusChange(tx, emit, job, status, reason);
        // Also when the job was already requeueing: the human asked for a clean slate.
        if (status === "requeueing") clearJobFailures(tx, job.id);
        return saved;
      });
    },

    setTaskStatus(db, broker, taskUUID, status, reason) {
      if (!isTaskStatus(status)) throw badRequest(`invalid task status ${JSON.stringify(status)}`);
      return inTransaction(db, broker, (tx: DbOrTx, emit) => {
        const task = tx.select().from(tasks).where(eq(tasks.uuid, taskUUID)).get();
        if (!task) throw notFound("no such task");
        const withReason = tx
          .update(tasks)
          .set({ activity: reason, updatedAt: deps.clock.now() })
          .where(eq(tasks.id, task.id))
          .returning()
          .get()!;
        const saved = machines.task.taskStatusChange(tx, emit, withReason, status);
        if (status === "queued") clearTaskFailures(tx, task.id);
        return saved;
      });
    },
  };
}
