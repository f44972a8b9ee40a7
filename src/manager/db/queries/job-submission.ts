// Stores a submitted job: the job row, its tasks and their dependencies, in the caller's
// transaction. Job step totals, task counts and unmet dependencies follow from the tasks'
// triggers. Tasks and dependencies go in through statements prepared once per job, row by row:
// no bound-parameter limit to hit however large the job, and no SQL rebuilt per row.
import { eq, sql } from "drizzle-orm";
import type { JobStatus } from "../../../shared/statuses";
import type { Tx } from "../connection";
import { jobs, taskDependencies, tasks, type JobRow } from "../schema";
import { requireJob } from "./jobs";

export interface NewJob {
  uuid: string;
  name: string;
  jobType: string;
  priority: number;
  status: JobStatus;
  settings: Record<string, unknown>;
  metadata: Record<string, string>;
  storageShamanCheckoutId: string;
  workerTagId: number | null;
}

export interface NewTask {
  uuid: string;
  name: string;
  type: string;
  indexInJob: number;
  priority: number;
  /** Stored as given, as JSON. */
  commands: unknown[];
  stepsTotal: number;
  /** UUIDs of tasks of the same job. */
  dependencies: string[];
}

const p = (name: string) => sql.placeholder(name);

/** Inserts the job with its tasks, all queued; returns the stored job as the triggers left it. */
export function insertJobWithTasks(tx: Tx, job: NewJob, newTasks: NewTask[], now: Date): JobRow {
  const { id: jobId } = tx.orm
    .insert(jobs)
    .values({ ...job, createdAt: now, updatedAt: now })
    .returning({ id: jobs.id })
    .get();

  const insertTask = tx.orm
    .insert(tasks)
    .values({
      uuid: p("uuid"),
      createdAt: now,
      updatedAt: now,
      name: p("name"),
      type: p("type"),
      jobId,
      indexInJob: p("indexInJob"),
      priority: p("priority"),
      status: "queued",
      commands: p("commands"),
      stepsTotal: p("stepsTotal"),
    })
    .prepare();
  for (const t of newTasks) {
    insertTask.run({
      uuid: t.uuid,
      name: t.name,
      type: t.type,
      indexInJob: t.indexInJob,
      priority: t.priority,
      commands: t.commands,
      stepsTotal: t.stepsTotal,
    });
  }
  const idByUUID = new Map(
    tx.orm
      .select({ id: tasks.id, uuid: tasks.uuid })
      .from(tasks)
      .where(eq(tasks.jobId, jobId))
      .all()
      .map((r) => [r.uuid, r.id]),
  );
  const taskId = (uuid: string) => {
    const id = idByUUID.get(uuid);
    if (id === undefined) throw new Error(`task ${uuid} is not a task of the job`);
    return id;
  };

  const insertDependency = tx.orm
    .insert(taskDependencies)
    .values({ taskId: p("taskId"), dependencyId: p("dependencyId") })
    .prepare();
  for (const t of newTasks) {
    const id = taskId(t.uuid);
    for (const dep of t.dependencies) insertDependency.run({ taskId: id, dependencyId: taskId(dep) });
  }
  // Read back: the task triggers have summed the job's steps and counted its tasks.
  return requireJob(tx, jobId);
}
