// Task updates from workers (workers.md §8, state-machines.md §5.3): activity, log text, step
// progress and status, applied in one transaction in Flamenco's order; failures go through the
// state machine's failure handling.
import { eq, sql } from "drizzle-orm";
import type { Clock } from "../../shared/clock";
import { jobs, tasks, type JobRow, type TaskRow, type WorkerRow } from "../db/schema";
import { opaquePlaceholder } from "../db/prepared";
import { inTransaction } from "../db/transaction";
import type { Db } from "../db/types";
import { badRequest, conflict, notFound } from "../errors";
import type { EventBroker } from "../events/broker";
import { jobUpdate, taskUpdate } from "../events/payloads";
import type { FailureHandling } from "../state-machine/failures";
import { touchJob } from "../state-machine/job-tasks";
import type { TaskStateMachine } from "../state-machine/task-state";
import { markSeen } from "../farm/seen";
import type { TaskLogStore } from "../storage/task-logs";

/** The TaskUpdate body; absent fields leave the task unchanged. */
export interface TaskUpdateBody {
  taskStatus?: string;
  activity?: string;
  log?: string;
  steps_completed?: number;
}

export interface TaskUpdateDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  stateMachine: Pick<TaskStateMachine, "taskStatusChange"> & FailureHandling;
  taskLogs: Pick<TaskLogStore, "append">;
}

export function createTaskUpdates(deps: TaskUpdateDeps) {
  const { db, broker, clock, stateMachine } = deps;

  // Prepared once against the database handle; they run inside the update's transaction, as
  // the synchronous SQLite drivers have a single connection. Timestamps bind as stored: epoch ms.
  const findTask = db
    .select({
      id: tasks.id,
      uuid: tasks.uuid,
      status: tasks.status,
      type: tasks.type,
      workerId: tasks.workerId,
      stepsCompleted: tasks.stepsCompleted,
      stepsTotal: tasks.stepsTotal,
      jobId: tasks.jobId,
      jobUUID: jobs.uuid,
    })
    .from(tasks)
    .innerJoin(jobs, eq(jobs.id, tasks.jobId))
    .where(eq(tasks.uuid, opaquePlaceholder("uuid")))
    .prepare();
  /**
   * All fields of one update in a single write; a null activity keeps the stored one. The step
   * count is only written when it changed, so whatever follows step changes never runs for nothing.
   */
  const saveWith = (withSteps: boolean) =>
    db
      .update(tasks)
      .set({
        activity: sql`coalesce(${sql.placeholder("activity")}, ${tasks.activity})`,
        ...(withSteps ? { stepsCompleted: sql`${sql.placeholder("steps")}` } : {}),
        lastTouchedAt: sql`${sql.placeholder("nowMs")}`,
        updatedAt: sql`${sql.placeholder("nowMs")}`,
      })
      .where(eq(tasks.id, sql.placeholder("id")));
  const saveTaskAndSteps = saveWith(true).returning().prepare();
  const saveTask = saveWith(false).prepare();

  /**
   * Applies `update` from `worker` to the task. Only the task's assigned worker may update it,
   * and only while the task is active: a late report from a worker whose task was meanwhile
   * requeued, cancelled or timed out gets 409 (which the Worker reads as "task reassigned")
   * instead of silently completing or failing a task that someone else may now run.
   */
  function updateTask(worker: WorkerRow, taskUUID: string, update: TaskUpdateBody): void {
    inTransaction(
      db,
      broker,
      (tx, emit) => {
        const now = clock.now();
        const found = findTask.get({ uuid: taskUUID });
        if (!found) throw notFound(`task ${taskUUID} not found`);
        if (found.workerId === null)
          throw conflict(`task ${taskUUID} is not assigned to any worker, so also not to you`);
        if (found.workerId !== worker.id) throw conflict(`task ${taskUUID} is not assigned to you`);
        // Soft or hard failure is the Manager's call; workers report `failed`.
        if (update.taskStatus === "soft-failed") {
          throw badRequest(`task status ${update.taskStatus} not allowed to be sent by Worker`);
        }
        if (found.status !== "active") {
          throw conflict(`task ${taskUUID} is no longer active (its status is "${found.status}")`);
        }

        const steps =
          update.steps_completed === undefined
            ? found.stepsCompleted
            : Math.min(update.steps_completed, found.stepsTotal);
        const stepsChanged = steps !== found.stepsCompleted;
        // Activity, steps and the touch (which restarts the task timeout) in one write; the
        // status change below writes the status after them, as Flamenco orders them.
        const fields = { activity: update.activity ?? null, nowMs: now.getTime(), id: found.id };
        const changeStatus = update.taskStatus !== undefined && update.taskStatus !== found.status;
        // Only a step change announces the task here, so only it reads the saved row back; a
        // status change announces the row its own write returns.
        let stepped: TaskRow | null = null;
        if (stepsChanged) stepped = saveTaskAndSteps.get({ ...fields, steps }) as TaskRow;
        else saveTask.run(fields);
        // Before any status change: the worker's log usually explains it, and the Manager's own
        // lines about the change belong after it.
        if (update.log !== undefined) deps.taskLogs.append(found.jobUUID, taskUUID, update.log);

        // The touched job also serves a status change below, which need not read it again.
        let job: JobRow | undefined;
        if (stepped) {
          job = touchJob(tx, found.jobId, now);
          emit(jobUpdate(job));
          if (!changeStatus) emit(taskUpdate(stepped, found.jobUUID, worker));
        }
        if (changeStatus) {
          if (update.taskStatus === "failed") stateMachine.onTaskFailed(tx, emit, found, worker);
          else stateMachine.taskStatusChange(tx, emit, found, update.taskStatus!, { worker, job });
        }

        markSeen(db, worker, now);
      },
      { shared: true },
    );
  }

  return { updateTask };
}

export type TaskUpdates = ReturnType<typeof createTaskUpdates>;
