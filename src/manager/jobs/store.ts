// Stores a compiled job without stalling the worker API: the job row goes in as
// `under-construction` (no worker is handed its tasks), its tasks and then their dependencies in
// transactions of at most JOB_STORE_SLICE_ROWS rows each, yielding to the event loop between
// them so worker requests are answered meanwhile, and one last small write gives the job its
// submitted status. A job left under construction by a crash is removed at start-up (see
// src/manager/state-machine/stuck-jobs.ts); a submission that fails half-way removes its job.
import type { JobStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import {
  finishJobConstruction,
  insertJobUnderConstruction,
  insertTaskDependencies,
  insertTasksOfJob,
  taskIdsOfJob,
  type NewTask,
} from "../db/queries/job-submission";
import type { JobRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { jobUpdate } from "../events/payloads";
import { removeJobInSlices, yieldToEventLoop } from "./slices";
import type { CompiledJob } from "./job-types";

/** Task or dependency rows written per transaction while a job is stored. */
export const JOB_STORE_SLICE_ROWS = 500;

export interface JobStoreDeps {
  db: Db;
  broker: EventBroker;
  /**
   * Awaited after each committed slice but the last (tests: a promise that never settles stands
   * for a crash between slices).
   */
  afterSlice?: (slicesWritten: number) => Promise<void> | void;
}

/** Σ max(1, total_step_count): a command without step reporting still counts as one step. */
function taskStepsTotal(commands: { total_step_count: number }[]): number {
  return commands.reduce((sum, c) => sum + Math.max(1, c.total_step_count || 0), 0);
}

function newTasks(compiled: CompiledJob): NewTask[] {
  return compiled.tasks.map((t, i) => ({
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
}

function slicesOf<T>(items: readonly T[]): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += JOB_STORE_SLICE_ROWS)
    slices.push(items.slice(i, i + JOB_STORE_SLICE_ROWS));
  return slices;
}

/**
 * Stores the job and its tasks; resolves with the stored job in its submitted status, announced
 * (`emit` of the final write) once it is schedulable.
 */
export async function storeCompiledJob(
  deps: JobStoreDeps,
  compiled: CompiledJob,
  opts: { status: JobStatus; workerTagId: number | null; now: Date },
): Promise<JobRow> {
  const { db } = deps;
  const tasks = newTasks(compiled);
  const taskSlices = slicesOf(tasks);
  const jobId = inTransaction(db, (tx) => {
    const id = insertJobUnderConstruction(
      tx,
      {
        uuid: compiled.id,
        name: compiled.name,
        jobType: compiled.type,
        priority: compiled.priority,
        settings: compiled.settings,
        metadata: compiled.metadata,
        storageShamanCheckoutId: compiled.storageShamanCheckoutId,
        workerTagId: opts.workerTagId,
      },
      opts.now,
    );
    insertTasksOfJob(tx, id, taskSlices.shift() ?? [], opts.now);
    return id;
  });
  let written = 1;
  const pause = async () => {
    await deps.afterSlice?.(written);
    await yieldToEventLoop();
  };
  try {
    for (const slice of taskSlices) {
      await pause();
      inTransaction(db, (tx) => insertTasksOfJob(tx, jobId, slice, opts.now));
      written++;
    }
    const ids = taskIdsOfJob(db, jobId);
    const idOf = (uuid: string) => {
      const id = ids.get(uuid);
      if (id === undefined) throw new Error(`task ${uuid} is not a task of the job`);
      return id;
    };
    const pairs = tasks.flatMap((t) =>
      t.dependencies.map((dep) => ({ taskId: idOf(t.uuid), dependencyId: idOf(dep) })),
    );
    for (const slice of slicesOf(pairs)) {
      await pause();
      inTransaction(db, (tx) => insertTaskDependencies(tx, slice));
      written++;
    }
    await pause();
    return inTransaction(db, (tx) => {
      const job = finishJobConstruction(tx, jobId, opts.status, opts.now);
      emitAfterCommit(deps.broker, tx)(jobUpdate(job));
      return job;
    });
  } catch (err) {
    await removeJobInSlices(db, jobId);
    throw err;
  }
}
