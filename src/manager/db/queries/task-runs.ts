// Reads of task_runs, the history the triggers of migration 0010 keep: a job's runs with their
// task, oldest first, for the job timeline.
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../connection";
import { taskRuns, tasks } from "../schema";

function prepare(db: Db) {
  return {
    ofJob: db.orm
      .select({
        taskUuid: tasks.uuid,
        taskName: tasks.name,
        taskType: tasks.type,
        workerUuid: taskRuns.workerUuid,
        workerName: taskRuns.workerName,
        startedAt: taskRuns.startedAt,
        endedAt: taskRuns.endedAt,
        outcome: taskRuns.outcome,
      })
      .from(taskRuns)
      .innerJoin(tasks, eq(tasks.id, taskRuns.taskId))
      .where(eq(taskRuns.jobId, sql.placeholder("jobId")))
      .orderBy(asc(taskRuns.startedAt), asc(taskRuns.id))
      .prepare(),
  };
}

export type TaskRunWithTask = ReturnType<ReturnType<typeof prepare>["ofJob"]["all"]>[number];

export function taskRunsOfJob(db: Db, jobId: number): TaskRunWithTask[] {
  return db.memo(prepare).ofJob.all({ jobId });
}
