// Stores a compiled job: the job row, its tasks and their dependencies in one transaction.
// Job step totals, task counts and unmet dependencies follow from the tasks' triggers.
import type { JobStatus } from "../../shared/statuses";
import type { Tx } from "../db/connection";
import { insertJobWithTasks } from "../db/queries/job-submission";
import type { JobRow } from "../db/schema";
import type { CompiledJob } from "./job-types";

/** Σ max(1, total_step_count): a command without step reporting still counts as one step. */
function taskStepsTotal(commands: { total_step_count: number }[]): number {
  return commands.reduce((sum, c) => sum + Math.max(1, c.total_step_count || 0), 0);
}

export function insertCompiledJob(
  tx: Tx,
  compiled: CompiledJob,
  opts: { status: JobStatus; workerTagId: number | null; now: Date },
): JobRow {
  const job = {
    uuid: compiled.id,
    name: compiled.name,
    jobType: compiled.type,
    priority: compiled.priority,
    status: opts.status,
    settings: compiled.settings,
    metadata: compiled.metadata,
    storageShamanCheckoutId: compiled.storageShamanCheckoutId,
    workerTagId: opts.workerTagId,
  };
  const tasks = compiled.tasks.map((t, i) => ({
    uuid: t.uuid,
    name: t.name,
    type: t.type,
    // Task order is the order the script added them in.
    indexInJob: i + 1,
    priority: t.priority,
    // A script may leave parameters out; workers expect an object, never null.
    commands: t.commands.map((c) => ({ ...c, parameters: c.parameters ?? {} })),
    stepsTotal: taskStepsTotal(t.commands),
    dependencies: t.dependencies,
  }));
  return insertJobWithTasks(tx, job, tasks, opts.now);
}
