// Recounts what the counter triggers keep (per-job task counts and steps, per-task unmet
// dependencies, runnable tasks per job and type) from the rows themselves, and lists every
// stored value that differs.
import type { Database } from "bun:sqlite";

export function counterDrift(sqlite: Database): string[] {
  const drift: string[] = [];

  const counted = new Map<string, number>();
  for (const r of sqlite
    .query("SELECT job_id, status, count(*) AS n FROM tasks GROUP BY job_id, status")
    .all() as {
    job_id: number;
    status: string;
    n: number;
  }[]) {
    counted.set(`job ${r.job_id} "${r.status}"`, r.n);
  }
  const stored = new Map<string, number>();
  for (const r of sqlite.query("SELECT job_id, status, count FROM job_task_counts").all() as {
    job_id: number;
    status: string;
    count: number;
  }[]) {
    stored.set(`job ${r.job_id} "${r.status}"`, r.count);
  }
  for (const key of new Set([...counted.keys(), ...stored.keys()])) {
    const c = counted.get(key) ?? 0;
    const s = stored.get(key) ?? 0;
    if (c !== s) drift.push(`${key}: ${s} tasks stored, ${c} counted`);
  }

  const steps = sqlite
    .query(
      `SELECT j.id, j.steps_completed AS sc, j.steps_total AS st,
         coalesce(sum(t.steps_completed), 0) AS cc, coalesce(sum(t.steps_total), 0) AS ct
       FROM jobs j LEFT JOIN tasks t ON t.job_id = j.id GROUP BY j.id`,
    )
    .all() as { id: number; sc: number; st: number; cc: number; ct: number }[];
  for (const r of steps) {
    if (r.sc !== r.cc || r.st !== r.ct)
      drift.push(`job ${r.id} steps: ${r.sc}/${r.st} stored, ${r.cc}/${r.ct} summed`);
  }

  const unmet = sqlite
    .query(
      `SELECT id, stored, counted FROM (
         SELECT t.id, t.unmet_dependencies AS stored, (
           SELECT count(*) FROM task_dependencies d JOIN tasks dep ON dep.id = d.dependency_id
           WHERE d.task_id = t.id AND dep.status <> 'completed') AS counted
         FROM tasks t)
       WHERE stored <> counted`,
    )
    .all() as { id: number; stored: number; counted: number }[];
  for (const r of unmet)
    drift.push(`task ${r.id} unmet dependencies: ${r.stored} stored, ${r.counted} counted`);

  const runnable = sqlite
    .query(
      `SELECT job_id, type, sum(stored) AS stored, sum(counted) AS counted FROM (
         SELECT job_id, type, count AS stored, 0 AS counted FROM job_runnable_task_types
         UNION ALL
         SELECT job_id, type, 0, count(*) FROM tasks
         WHERE status IN ('queued', 'soft-failed') AND unmet_dependencies = 0
         GROUP BY job_id, type)
       GROUP BY job_id, type HAVING sum(stored) <> sum(counted)`,
    )
    .all() as { job_id: number; type: string; stored: number; counted: number }[];
  for (const r of runnable)
    drift.push(`job ${r.job_id} runnable "${r.type}" tasks: ${r.stored} stored, ${r.counted} counted`);
  return drift;
}
