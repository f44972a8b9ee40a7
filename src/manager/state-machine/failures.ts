// What happens when a worker reports a task as failed: the task's failure list, the per-job
// blocklist, soft versus hard failure, and failing the job when no untried worker is left
// (docs/state-machines.md). Tablao counts as documented: no off-by-one in either threshold.
// A task failing for good gets one reason (failureReasons), which its activity, its log and
// the job's activity all carry.
import type { Db } from "../db/connection";
import { requireJob } from "../db/queries/jobs";
import {
  blocklistWorker,
  countFailuresOfType,
  countUntriedWorkers,
  recordTaskFailure,
} from "../db/queries/task-failures";
import { requireTask, setTaskActivity, type TaskRef } from "../db/queries/tasks";
import type { JobRow, TaskRow, WorkerRow } from "../db/schema";
import type { Emit } from "../events/broker";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import { blockedFromTypeReason, failureReasons, softFailLine } from "./messages";
import type { WorkerRequeue } from "./requeue";
import type { TaskStateMachine } from "./task-state";

type FailingWorker = Pick<WorkerRow, "id" | "name" | "uuid">;

export interface FailureHandling {
  /**
   * The worker reported `failed` for `task`: the task ends up `soft-failed` or `failed`, and
   * the job may fail with it. The worker's activity text is saved by the caller. Returns the
   * saved task.
   */
  onTaskFailed(tx: Db, emit: Emit, task: TaskRef, worker: FailingWorker): TaskRow;
}

export function createFailureHandling(
  deps: Pick<StateMachineDeps, "clock" | "taskLogs" | "thresholds">,
  machines: { task: TaskStateMachine; job: JobStateMachine; requeue: WorkerRequeue },
): FailureHandling {
  const { clock, taskLogs, thresholds } = deps;

  /** Fails the task for `reason`, which also becomes the job's reason should the job fail with it. */
  function failTask(tx: Db, emit: Emit, job: JobRow, task: TaskRef, reason: string): TaskRow {
    taskLogs.appendManagerLine(job.uuid, task.uuid, reason);
    const withReason = setTaskActivity(tx, task.id, reason, clock.now());
    if (!withReason) throw new Error(`task ${task.uuid} does not exist`);
    return machines.task.taskStatusChange(tx, emit, withReason, "failed", { job, failureReason: reason });
  }

  function failJob(tx: Db, emit: Emit, job: JobRow, task: TaskRef, worker: FailingWorker): TaskRow {
    // Reloaded for the worker's activity, which the caller saved.
    const reason = failureReasons.noWorkersLeft(requireTask(tx, task.id), worker);
    const failed = failTask(tx, emit, job, task, reason);
    // The task's failure may already have failed the job (10 % rule, same reason); then this is a no-op.
    machines.job.jobStatusChange(tx, emit, requireJob(tx, job.id), "failed", reason);
    return failed;
  }

  return {
    onTaskFailed(tx, emit, task, worker) {
      const { blocklistThreshold, taskFailAfterSoftfailCount } = thresholds();
      const now = clock.now();
      const job = requireJob(tx, task.jobId);

      const numFailed = recordTaskFailure(tx, task.id, worker.id, now);

      // Distinct failed tasks of this type in this job, the current one included, counted once.
      const failuresOfType = countFailuresOfType(tx, worker.id, job.id, task.type);

      let untried: number | undefined;
      if (failuresOfType >= blocklistThreshold) {
        blocklistWorker(tx, job.id, worker.id, task.type, now);
        untried = countUntriedWorkers(tx, job, task);
        if (untried === 0) return failJob(tx, emit, job, task, worker);
        // Blocked from the type, so its earlier hard failures deserve another worker.
        machines.requeue.requeueFailedTasksOfWorkerOfJob(
          tx,
          emit,
          worker,
          job.id,
          blockedFromTypeReason(worker.name, task.type),
        );
      }

      // Reloaded: the requeue cascade above may have touched it.
      const current = requireTask(tx, task.id);
      if (numFailed >= taskFailAfterSoftfailCount) {
        return failTask(tx, emit, job, current, failureReasons.failedTooOften(current, numFailed, worker));
      }
      if ((untried ?? countUntriedWorkers(tx, job, task)) === 0)
        return failJob(tx, emit, job, current, worker);
      taskLogs.appendManagerLine(job.uuid, task.uuid, softFailLine(numFailed, taskFailAfterSoftfailCount));
      return machines.task.taskStatusChange(tx, emit, current, "soft-failed");
    },
  };
}
