// Stores a compiled job: the job row, its tasks and their dependencies in one transaction.
// Job step totals, task counts and unmet dependencies follow from the tasks' triggers.
// Tasks and dependencies go in through statements prepared once per job, row by row: no
// bound-parameter limit to hit however large the job, and no SQL rebuilt per row.
import { eq, sql } from "drizzle-orm";
import { jobs, taskDependencies, tasks, type JobRow } from "../db/schema";
import { requireJob } from "../db/rows";
import type { Tx } from "../db/transaction";
import type { CompiledJob } from "./job-types";

/** Σ max(1, total_step_count): a command without step reporting still counts as one step. */
export function taskStepsTotal(commands: { total_step_count: number }[]): number {
  return commands.reduce((sum, c) => sum + Math.max(1, c.total_step_count || 0), 0);
}

const p = (name: string) => sql.placeholder(name);

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
    })
    .returning({ id: jobs.id })
    .get();

  const insertTask = tx
    .insert(tasks)
    .values({
      uuid: p("uuid"),
      createdAt: opts.now,
      updatedAt: opts.now,
      name: p("name"),
      type: p("type"),
      jobId: job.id,
      indexInJob: p("indexInJob"),
      priority: p("priority"),
      status: "queued",
      commands: p("commands"),
      stepsTotal: p("stepsTotal"),
    })
    .prepare();
  compiled.tasks.forEach((t, i) => {
    // A script may leave parameters out; workers expect an object, never null.
    const commands = t.commands.map((c) => ({ ...c, parameters: c.parameters ?? {} }));
    insertTask.run({
      uuid: t.uuid,
      name: t.name,
      type: t.type,
      indexInJob: i + 1,
      priority: t.priority,
      commands,
      stepsTotal: stepsPerTask[i],
    });
  });
  const idByUUID = new Map(
    tx
      .select({ id: tasks.id, uuid: tasks.uuid })
      .from(tasks)
      .where(eq(tasks.jobId, job.id))
      .all()
      .map((r) => [r.uuid, r.id]),
  );

  const insertDependency = tx
    .insert(taskDependencies)
    .values({ taskId: p("taskId"), dependencyId: p("dependencyId") })
    .prepare();
  for (const t of compiled.tasks) {
    const taskId = idByUUID.get(t.uuid)!;
    for (const dep of t.dependencies) insertDependency.run({ taskId, dependencyId: idByUUID.get(dep)! });
  }
  // Read back: the task triggers have summed the job's steps and counted its tasks.
  return requireJob(tx, job.id);
}
