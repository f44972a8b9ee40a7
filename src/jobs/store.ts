// Stores a compiled job: the job row, its tasks and their dependencies in one transaction,
// inserted in batches so a 10,000-task job stays under SQLite's bound-parameter limit.
import { jobs, taskDependencies, tasks, type JobRow } from "../db/schema";
import type { Tx } from "../db/transaction";
import type { CompiledJob } from "./job-types";

/** Rows per INSERT: 13 task columns x 500 rows stays far below SQLite's 32,766 parameters. */
export const TASK_INSERT_BATCH_ROWS = 500;
export const DEPENDENCY_INSERT_BATCH_ROWS = 5_000;

/** Σ max(1, total_step_count): a command without step reporting still counts as one step. */
export function taskStepsTotal(commands: { total_step_count: number }[]): number {
  return commands.reduce((sum, c) => sum + Math.max(1, c.total_step_count || 0), 0);
}

export function insertCompiledJob(
  tx: Tx,
  compiled: CompiledJob,
  opts: { status: string; workerTagId: number | null; now: Date },
): JobRow {
  const stepsPerTask = compiled.tasks.map((t) => taskStepsTotal(t.commands));
  const job = tx
    .insert(jobs)
    .values({
      uuid: compiled.id,
      createdAt: opts.now,
      updatedAt: opts.now,
      name: compiled.name,
      jobType: compiled.type,
      priority: compiled.priority,
      status: opts.status,
      settings: compiled.settings,
      metadata: compiled.metadata,
      storageShamanCheckoutId: compiled.storageShamanCheckoutId,
      workerTagId: opts.workerTagId,
      stepsTotal: stepsPerTask.reduce((a, b) => a + b, 0),
    })
    .returning()
    .get();

  const idByUUID = new Map<string, number>();
  for (let start = 0; start < compiled.tasks.length; start += TASK_INSERT_BATCH_ROWS) {
    const batch = compiled.tasks.slice(start, start + TASK_INSERT_BATCH_ROWS);
    const inserted = tx
      .insert(tasks)
      .values(
        batch.map((t, i) => ({
          uuid: t.uuid,
          createdAt: opts.now,
          updatedAt: opts.now,
          name: t.name,
          type: t.type,
          jobId: job.id,
          indexInJob: start + i + 1,
          priority: t.priority,
          status: "queued",
          // A script may leave parameters out; workers expect an object, never null.
          commands: t.commands.map((c) => ({ ...c, parameters: (c.parameters ?? {}) as Record<string, unknown> })),
          stepsTotal: stepsPerTask[start + i],
        })),
      )
      .returning({ id: tasks.id, uuid: tasks.uuid })
      .all();
    for (const r of inserted) idByUUID.set(r.uuid, r.id);
  }

  const deps = compiled.tasks.flatMap((t) =>
    t.dependencies.map((dep) => ({ taskId: idByUUID.get(t.uuid)!, dependencyId: idByUUID.get(dep)! })),
  );
  for (let start = 0; start < deps.length; start += DEPENDENCY_INSERT_BATCH_ROWS) {
    tx.insert(taskDependencies)
      .values(deps.slice(start, start + DEPENDENCY_INSERT_BATCH_ROWS))
      .run();
  }
  return job;
}
