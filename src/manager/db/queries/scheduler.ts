// The scheduler's read side: which task a worker gets, as single indexed queries, so a poll
// costs index seeks per (job, task type) and never a scan of the tasks table. See
// docs/scheduler.md for the rules and why the queries are shaped this way.
import type { Db } from "../connection";
import type { TaskRef } from "./tasks";

/** The worker fields the selection depends on. */
export interface SchedulingWorker {
  id: number;
  /** The task types the worker supports (as stored at sign-on, split). */
  taskTypes: readonly string[];
}

/** What both queries return: the fields the assignment starts from (the row is at hand anyway). */
const TASK_REF_COLUMNS = "t.id, t.uuid, t.job_id AS jobId, t.status, t.type";

/**
 * The worker's active task in a schedulable job, lowest id first. The worker id sits behind a
 * scalar subquery: bound directly, SQLite would re-plan the join at every new value (a plan may
 * depend on it), which costs about as much as preparing the statement again; behind the
 * subquery it is planned once as an unknown constant and still drives the index seek.
 */
export const ACTIVE_TASK_SQL = `
    SELECT ${TASK_REF_COLUMNS} FROM tasks t JOIN jobs j ON j.id = t.job_id
    WHERE t.worker_id = (SELECT $workerId) AND t.status = 'active' AND j.status IN ('active', 'queued')
    ORDER BY t.id LIMIT 1`;

/**
 * The best new task for a worker. For every candidate (job, task type) pair that has runnable
 * tasks (counted by triggers in job_runnable_task_types, so pairs without work cost nothing), a
 * correlated subquery walks the partial index tasks_schedulable_idx in the wanted order and stops
 * at the first eligible task; only those few winners are sorted. The task conditions must stay
 * literally as in the index definition (src/manager/db/schema.ts), or SQLite will not use it.
 * `$types` is the worker's task types as a JSON array.
 */
export const SCHEDULABLE_TASK_SQL = `
    WITH candidate_jobs AS (
      SELECT j.id, j.priority FROM jobs j
      WHERE j.status IN ('active', 'queued')
        AND (j.worker_tag_id IS NULL OR j.worker_tag_id IN (
          SELECT m.worker_tag_id FROM worker_tag_membership m WHERE m.worker_id = $workerId))
    ),
    best_per_job_and_type AS (
      SELECT cj.priority AS job_priority, (
        SELECT t.id FROM tasks t
        WHERE t.job_id = cj.id AND t.type = rt.type
          AND t.status IN ('queued', 'soft-failed') AND t.unmet_dependencies = 0
          AND NOT EXISTS (
            SELECT 1 FROM task_failures f WHERE f.task_id = t.id AND f.worker_id = $workerId)
        ORDER BY t.priority DESC, t.id ASC
        LIMIT 1
      ) AS task_id
      FROM candidate_jobs cj
      JOIN job_runnable_task_types rt ON rt.job_id = cj.id AND rt.count > 0
      WHERE rt.type IN (SELECT value FROM json_each($types))
        AND NOT EXISTS (
          SELECT 1 FROM job_blocks b
          WHERE b.job_id = cj.id AND b.worker_id = $workerId AND b.task_type = rt.type)
    )
    SELECT ${TASK_REF_COLUMNS} FROM best_per_job_and_type best JOIN tasks t ON t.id = best.task_id
    ORDER BY best.job_priority DESC, t.priority DESC, t.id ASC
    LIMIT 1`;

// Preparing the schedulable-task query costs about twice as much as running it.
function prepare(db: Db) {
  return {
    activeTask: db.prepare<TaskRef>(ACTIVE_TASK_SQL),
    schedulableTask: db.prepare<TaskRef>(SCHEDULABLE_TASK_SQL),
  };
}

/**
 * The worker's active task in a schedulable job, which it gets back before anything else (no
 * task-type, tag or blocklist re-check, as in Flamenco).
 */
export function findActiveTaskOfWorker(db: Db, workerId: number): TaskRef | null {
  return db.memo(prepare).activeTask.get({ workerId });
}

/**
 * The best new task for the worker, or null. Eligible: task queued or soft-failed, job active
 * or queued, task type supported by the worker and not blocklisted for it on that job, job
 * untagged or tagged with one of the worker's tags, not failed before by this worker, and every
 * dependency completed. Order: job priority DESC, task priority DESC, task id ASC (Flamenco
 * leaves the tie to SQLite's plan; Tablao states it, so equal priorities run in creation order).
 */
export function findSchedulableTask(db: Db, worker: SchedulingWorker): TaskRef | null {
  if (worker.taskTypes.length === 0) return null;
  return db
    .memo(prepare)
    .schedulableTask.get({ workerId: worker.id, types: JSON.stringify(worker.taskTypes) });
}
