// What happens when a worker reports a task as failed (state-machines.md §5.4): the task's
// failure list, the per-job blocklist, soft versus hard failure, and failing the job when no
// untried worker is left. Tablao counts as documented: no off-by-one in either threshold.
import { and, eq, inArray, notExists, sql } from "drizzle-orm";
import { requireJob } from "../db/rows";
import {
  jobBlocks,
  taskFailures,
  tasks,
  workers,
  workerTagMembership,
  type JobRow,
  type TaskRow,
  type WorkerRow,
} from "../db/schema";
import type { Emit } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import {
  blockedFromTypeReason,
  catastrophicFailLine,
  hardFailLine,
  jobReasons,
  softFailLine,
} from "./messages";
import type { WorkerRequeue } from "./requeue";
import type { TaskRef, TaskStateMachine } from "./task-state";

type FailingWorker = Pick<WorkerRow, "id" | "name" | "uuid">;

export interface FailureHandling {
  /**
   * The worker reported `failed` for `task`: the task ends up `soft-failed` or `failed`, and
   * the job may fail with it. The worker's activity text is saved by the caller. Returns the
   * saved task.
   */
  onTaskFailed(tx: DbOrTx, emit: Emit, task: TaskRef, worker: FailingWorker): TaskRow;
}

/** Forgets which workers failed this task (a human requeued it). */
export function clearTaskFailures(tx: DbOrTx, taskId: number): void {
  tx.delete(taskFailures).where(eq(taskFailures.taskId, taskId)).run();
}

/** Forgets the failure lists of all the job's tasks and the job's blocklist (a human requeued it). */
export function clearJobFailures(tx: DbOrTx, jobId: number): void {
  tx.delete(taskFailures)
    .where(
      inArray(taskFailures.taskId, tx.select({ id: tasks.id }).from(tasks).where(eq(tasks.jobId, jobId))),
    )
    .run();
  tx.delete(jobBlocks).where(eq(jobBlocks.jobId, jobId)).run();
}

/**
 * Workers that could still retry the task: in the job's tag (any worker for an untagged job),
 * supporting the task type, not blocklisted for it on this job and not on the task's failure
 * list. Their status does not matter: an asleep or offline worker may come back.
 */
export function countUntriedWorkers(
  tx: DbOrTx,
  job: Pick<JobRow, "id" | "workerTagId">,
  task: Pick<TaskRow, "id" | "type">,
): number {
  const conditions = [
    notExists(
      tx
        .select({ one: sql`1` })
        .from(jobBlocks)
        .where(
          and(
            eq(jobBlocks.jobId, job.id),
            eq(jobBlocks.workerId, workers.id),
            eq(jobBlocks.taskType, task.type),
          ),
        ),
    ),
    notExists(
      tx
        .select({ one: sql`1` })
        .from(taskFailures)
        .where(and(eq(taskFailures.taskId, task.id), eq(taskFailures.workerId, workers.id))),
    ),
  ];
  if (job.workerTagId != null) {
    conditions.push(
      inArray(
        workers.id,
        tx
          .select({ id: workerTagMembership.workerId })
          .from(workerTagMembership)
          .where(eq(workerTagMembership.workerTagId, job.workerTagId)),
      ),
    );
  }
  return tx
    .select({ types: workers.supportedTaskTypes })
    .from(workers)
    .where(and(...conditions))
    .all()
    .filter((w) => w.types.split(",").includes(task.type)).length;
}

export function createFailureHandling(
  deps: Pick<StateMachineDeps, "clock" | "taskLogs" | "thresholds">,
  machines: { task: TaskStateMachine; job: JobStateMachine; requeue: WorkerRequeue },
): FailureHandling {
  const { clock, taskLogs, thresholds } = deps;

  const loadTask = (tx: DbOrTx, taskId: number) => {
    const task = tx.select().from(tasks).where(eq(tasks.id, taskId)).get();
    if (!task) throw new Error(`task ${taskId} does not exist`);
    return task;
  };

  function failJob(tx: DbOrTx, emit: Emit, job: JobRow, task: TaskRow, worker: FailingWorker): TaskRow {
    taskLogs.appendManagerLine(job.uuid, task.uuid, catastrophicFailLine(worker, task.type));
    const failed = machines.task.taskStatusChange(tx, emit, task, "failed");
    // The task's failure may already have failed the job (10 % rule); then this is a no-op.
    machines.job.jobStatusChange(
      tx,
      emit,
      requireJob(tx, job.id),
      "failed",
      jobReasons.noWorkersLeft(task.type),
    );
    return failed;
  }

  return {
    onTaskFailed(tx, emit, task, worker) {
      const { blocklistThreshold, taskFailAfterSoftfailCount } = thresholds();
      const now = clock.now();
      const job = requireJob(tx, task.jobId);

      tx.insert(taskFailures)
        .values({ taskId: task.id, workerId: worker.id, createdAt: now })
        .onConflictDoNothing()
        .run();
      const numFailed =
        tx
          .select({ n: sql<number>`count(*)` })
          .from(taskFailures)
          .where(eq(taskFailures.taskId, task.id))
          .get()?.n ?? 0;

      // Distinct failed tasks of this type in this job, the current one included, counted once.
      const failuresOfType =
        tx
          .select({ n: sql<number>`count(*)` })
          .from(taskFailures)
          .innerJoin(tasks, eq(taskFailures.taskId, tasks.id))
          .where(
            and(eq(taskFailures.workerId, worker.id), eq(tasks.jobId, job.id), eq(tasks.type, task.type)),
          )
          .get()?.n ?? 0;

      let untried: number | undefined;
      if (failuresOfType >= blocklistThreshold) {
        tx.insert(jobBlocks)
          .values({ jobId: job.id, workerId: worker.id, taskType: task.type, createdAt: now })
          .onConflictDoNothing()
          .run();
        untried = countUntriedWorkers(tx, job, task);
        if (untried === 0) return failJob(tx, emit, job, loadTask(tx, task.id), worker);
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
      const current = loadTask(tx, task.id);
      if (numFailed >= taskFailAfterSoftfailCount) {
        taskLogs.appendManagerLine(job.uuid, task.uuid, hardFailLine(numFailed));
        return machines.task.taskStatusChange(tx, emit, current, "failed");
      }
      if ((untried ?? countUntriedWorkers(tx, job, task)) === 0)
        return failJob(tx, emit, job, current, worker);
      taskLogs.appendManagerLine(job.uuid, task.uuid, softFailLine(numFailed, taskFailAfterSoftfailCount));
      return machines.task.taskStatusChange(tx, emit, current, "soft-failed");
    },
  };
}
