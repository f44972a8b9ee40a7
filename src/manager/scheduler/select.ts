// The scheduler's read side (workers.md §6.2): which task a worker gets, as single indexed
// queries, so a poll costs index seeks per (job, task type) and never a scan of the tasks table.
import { sql, type SQL } from "drizzle-orm";
import { opaquePlaceholder, perConnection, prepareSql } from "../db/prepared";
import type { DbOrTx } from "../db/types";
import type { TaskRef } from "../state-machine/task-state";
import { splitTaskTypes } from "../farm/registration";

/** The worker fields the selection depends on. */
export interface SchedulingWorker {
  id: number;
  /** As stored at sign-on: comma-separated, no spaces. */
  supportedTaskTypes: string;
}

/**
 * The worker's active task in a schedulable job, which it gets back before anything else
 * (no task-type, tag or blocklist re-check, as in Flamenco). Lowest id first if it has several.
 */
export function findActiveTaskOfWorker(tx: DbOrTx, workerId: number): TaskRef | null {
  const [row] = statements(tx).activeTask.all({ workerId });
  return row ?? null;
}

/**
 * The best new task for the worker, or null. Eligible: task queued or soft-failed, job active
 * or queued, task type supported by the worker and not blocklisted for it on that job, job
 * untagged or tagged with one of the worker's tags, not failed before by this worker, and every
 * dependency completed. The task's current worker_id does not matter.
 *
 * Order: job priority DESC, then task priority DESC, then task id ASC. Flamenco has no explicit
 * tie-break and gets id order from SQLite's plan; Tablao states it, so equal priorities always
 * run in creation order.
 *
 * Shape of the query: for every candidate (job, task type) pair that has runnable tasks (the
 * counts triggers keep in `job_runnable_task_types`, so the pairs without work cost nothing), a
 * correlated subquery walks the partial index `tasks_schedulable_idx (job_id, type, priority
 * DESC, id) WHERE status IN ('queued', 'soft-failed') AND unmet_dependencies = 0` in the wanted
 * order and stops at the first eligible task; only those few per-pair winners are sorted. Tasks
 * waiting for a dependency are not in the index (triggers keep `unmet_dependencies`), so however
 * many there are, a poll never walks them. The conditions must stay literally as in the index
 * definition, or SQLite will not use the partial index.
 */
export function findSchedulableTask(tx: DbOrTx, worker: SchedulingWorker): TaskRef | null {
  const types = splitTaskTypes(worker.supportedTaskTypes);
  if (types.length === 0) return null;
  const [row] = statements(tx).schedulableTask.all({ workerId: worker.id, types: JSON.stringify(types) });
  return row ?? null;
}

/**
 * The query of findActiveTaskOfWorker as it is prepared (the `workerId` placeholder is bound at
 * each call); exported so tests can check its plan.
 */
export function activeTaskQuery(): SQL {
  return sql`
    SELECT ${TASK_REF_COLUMNS} FROM tasks t JOIN jobs j ON j.id = t.job_id
    WHERE t.worker_id = ${opaquePlaceholder("workerId")} AND t.status = 'active' AND j.status IN ('active', 'queued')
    ORDER BY t.id LIMIT 1`;
}

/** The query of findSchedulableTask with its values bound; exported so tests can check its plan. */
export function schedulableTaskQuery(workerId: number, types: string[]): SQL {
  return schedulableTaskSql(workerId, JSON.stringify(types));
}

/** What both queries return: the fields the assignment starts from (the row is at hand anyway). */
const TASK_REF_COLUMNS = sql.raw("t.id, t.uuid, t.job_id AS jobId, t.status, t.type");

// Preparing the schedulable-task query costs about twice as much as running it, so both are
// prepared once, from the same text the plan test checks.
const statements = perConnection((db) => ({
  activeTask: prepareSql<TaskRef>(db, activeTaskQuery()),
  schedulableTask: prepareSql<TaskRef>(
    db,
    schedulableTaskSql(sql.placeholder("workerId"), sql.placeholder("types")),
  ),
}));

/** `typesJson`: the worker's task types as a JSON array. Both are bound values or placeholders. */
function schedulableTaskSql(workerId: unknown, typesJson: unknown): SQL {
  return sql`
    WITH candidate_jobs AS (
      SELECT j.id, j.priority FROM jobs j
      WHERE j.status IN ('active', 'queued')
        AND (j.worker_tag_id IS NULL OR j.worker_tag_id IN (
          SELECT m.worker_tag_id FROM worker_tag_membership m WHERE m.worker_id = ${workerId}))
    ),
    best_per_job_and_type AS (
      SELECT cj.priority AS job_priority, (
        SELECT t.id FROM tasks t
        WHERE t.job_id = cj.id AND t.type = rt.type
          AND t.status IN ('queued', 'soft-failed') AND t.unmet_dependencies = 0
          AND NOT EXISTS (
            SELECT 1 FROM task_failures f WHERE f.task_id = t.id AND f.worker_id = ${workerId})
        ORDER BY t.priority DESC, t.id ASC
        LIMIT 1
      ) AS task_id
      FROM candidate_jobs cj
      JOIN job_runnable_task_types rt ON rt.job_id = cj.id AND rt.count > 0
      WHERE rt.type IN (SELECT value FROM json_each(${typesJson}))
        AND NOT EXISTS (
          SELECT 1 FROM job_blocks b
          WHERE b.job_id = cj.id AND b.worker_id = ${workerId} AND b.task_type = rt.type)
    )
    SELECT ${TASK_REF_COLUMNS} FROM best_per_job_and_type best JOIN tasks t ON t.id = best.task_id
    ORDER BY best.job_priority DESC, t.priority DESC, t.id ASC
    LIMIT 1`;
}
