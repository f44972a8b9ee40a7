// Queries on single tasks: lookups, the writes of a worker's task update, of an assignment and of
// a status change. The hot ones are prepared once per connection. Timestamps bind as stored,
// epoch ms; a prepared update sets updated_at itself (Drizzle's automatic value would be frozen
// when the statement is built).
import { and, asc, eq, sql } from "drizzle-orm";
import type { TaskStatus } from "../../../shared/statuses";
import type { Db } from "../connection";
import { tasks, type TaskRow } from "../schema";

/** The task fields a status change starts from (hot callers pass what they already read). */
export type TaskRef = Pick<TaskRow, "id" | "uuid" | "jobId" | "status" | "type">;

/** A task as a worker's update or a file lookup needs it: with its job's UUID. */
export type TaskWithJob = TaskRef &
  Pick<TaskRow, "workerId" | "stepsCompleted" | "stepsTotal"> & { jobUUID: string };

/** Which steps a status change writes: completing means all done, queueing means starting over. */
export type StepsOnStatusChange = "keep" | "all" | "none";

function prepare(db: Db) {
  const saveStatus = (steps: StepsOnStatusChange) =>
    db.orm
      .update(tasks)
      .set({
        status: sql`${sql.placeholder("status")}`,
        updatedAt: sql`${sql.placeholder("nowMs")}`,
        ...(steps === "all"
          ? { stepsCompleted: sql`${tasks.stepsTotal}` }
          : steps === "none"
            ? { stepsCompleted: 0 }
            : {}),
      })
      .where(eq(tasks.id, sql.placeholder("id")))
      .returning()
      .prepare();
  /** A null activity keeps the stored one; steps are written only when they changed. */
  const saveProgress = (withSteps: boolean) =>
    db.orm
      .update(tasks)
      .set({
        activity: sql`coalesce(${sql.placeholder("activity")}, ${tasks.activity})`,
        ...(withSteps ? { stepsCompleted: sql`${sql.placeholder("steps")}` } : {}),
        lastTouchedAt: sql`${sql.placeholder("nowMs")}`,
        updatedAt: sql`${sql.placeholder("nowMs")}`,
      })
      .where(eq(tasks.id, sql.placeholder("id")));
  return {
    byId: db.orm
      .select()
      .from(tasks)
      .where(eq(tasks.id, sql.placeholder("id")))
      .prepare(),
    // The uuid behind a scalar subquery: with a join, SQLite would re-plan the statement at every
    // new binding (it may depend on the value), which costs as much as preparing it again.
    withJobByUUID: db.prepare<TaskWithJob>(
      `SELECT t.id, t.uuid, t.job_id AS jobId, t.status, t.type, t.worker_id AS workerId,
              t.steps_completed AS stepsCompleted, t.steps_total AS stepsTotal, j.uuid AS jobUUID
       FROM tasks t JOIN jobs j ON j.id = t.job_id
       WHERE t.uuid = (SELECT $uuid)`,
    ),
    saveStatus: {
      keep: saveStatus("keep"),
      all: saveStatus("all"),
      none: saveStatus("none"),
    } satisfies Record<StepsOnStatusChange, unknown>,
    saveProgressAndSteps: saveProgress(true).returning().prepare(),
    saveProgress: saveProgress(false).prepare(),
    // No RETURNING: the status change right after it reads the saved row back.
    claim: db.orm
      .update(tasks)
      .set({
        workerId: sql`${sql.placeholder("workerId")}`,
        lastTouchedAt: sql`${sql.placeholder("nowMs")}`,
        updatedAt: sql`${sql.placeholder("nowMs")}`,
      })
      .where(eq(tasks.id, sql.placeholder("id")))
      .prepare(),
    touch: db.orm
      .update(tasks)
      .set({ lastTouchedAt: sql`${sql.placeholder("nowMs")}`, updatedAt: sql`${sql.placeholder("nowMs")}` })
      .where(eq(tasks.id, sql.placeholder("id")))
      .prepare(),
    setActivity: db.orm
      .update(tasks)
      .set({ activity: sql`${sql.placeholder("activity")}`, updatedAt: sql`${sql.placeholder("nowMs")}` })
      .where(eq(tasks.id, sql.placeholder("id")))
      .returning()
      .prepare(),
  };
}

const statements = (db: Db) => db.memo(prepare);

export function taskById(db: Db, id: number): TaskRow | undefined {
  return statements(db).byId.get({ id });
}

/** The task whose id a change in progress holds: its absence is a broken invariant. */
export function requireTask(db: Db, id: number): TaskRow {
  const task = taskById(db, id);
  if (!task) throw new Error(`task ${id} does not exist`);
  return task;
}

export function taskByUUID(db: Db, uuid: string): TaskRow | undefined {
  return db.orm.select().from(tasks).where(eq(tasks.uuid, uuid)).get();
}

export function taskWithJobByUUID(db: Db, uuid: string): TaskWithJob | null {
  return statements(db).withJobByUUID.get({ uuid });
}

/** Saves a new status (and the steps it implies); returns the saved row. */
export function saveTaskStatus(
  db: Db,
  id: number,
  status: TaskStatus,
  steps: StepsOnStatusChange,
  now: Date,
): TaskRow | undefined {
  return statements(db).saveStatus[steps].get({ status, nowMs: now.getTime(), id });
}

/**
 * A worker's progress in one write: activity (null keeps it), steps (when given) and the touch
 * that restarts the task timeout. Returns the saved row only when the steps were written.
 */
export function saveTaskProgress(
  db: Db,
  id: number,
  progress: { activity: string | null; steps?: number },
  now: Date,
): TaskRow | undefined {
  const fields = { activity: progress.activity, nowMs: now.getTime(), id };
  if (progress.steps === undefined) {
    statements(db).saveProgress.run(fields);
    return undefined;
  }
  return statements(db).saveProgressAndSteps.get({ ...fields, steps: progress.steps });
}

/** Gives the task to the worker and touches it; the status change follows. */
export function claimTask(db: Db, id: number, workerId: number, now: Date): void {
  statements(db).claim.run({ workerId, nowMs: now.getTime(), id });
}

/** Restarts the task's timeout. */
export function touchTask(db: Db, id: number, now: Date): void {
  statements(db).touch.run({ nowMs: now.getTime(), id });
}

/** Sets the task's activity; returns the saved row. */
export function setTaskActivity(db: Db, id: number, activity: string, now: Date): TaskRow | undefined {
  return statements(db).setActivity.get({ activity, nowMs: now.getTime(), id });
}

/** The worker's tasks of one status (all jobs, or one), oldest first. */
export function tasksOfWorker(db: Db, workerId: number, status: TaskStatus, jobId?: number): TaskRow[] {
  const conditions = [eq(tasks.workerId, workerId), eq(tasks.status, status)];
  if (jobId !== undefined) conditions.push(eq(tasks.jobId, jobId));
  return db.orm
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(asc(tasks.id))
    .all();
}
