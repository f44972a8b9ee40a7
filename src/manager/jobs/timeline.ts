// A job's timeline: every run of its tasks by worker (from task_runs) and the figures that make
// a slow or broken machine stand out: the average and slowest completed runs, and per worker its
// runs, failures and average duration.
import type { Clock } from "../../shared/clock";
import { iso } from "../../shared/wire-time";
import type { Db } from "../db/connection";
import { jobByUUID } from "../db/queries/jobs";
import { taskRunsOfJob, type TaskRunWithTask } from "../db/queries/task-runs";
import { notFound } from "../errors";

/** How many of the slowest completed runs the figures list. */
export const SLOWEST_RUNS_LISTED = 5;
/** Outcomes that count as the worker failing the task. */
const FAILED_OUTCOMES = new Set(["failed", "soft-failed"]);

export interface TimelineDeps {
  db: Db;
  clock: Clock;
}

const durationMs = (r: TaskRunWithTask, nowMs: number) =>
  Math.max(0, (r.endedAt?.getTime() ?? nowMs) - r.startedAt.getTime());

export function createTimeline({ db, clock }: TimelineDeps) {
  return {
    ofJob(jobUuid: string) {
      const job = jobByUUID(db, jobUuid);
      if (!job) throw notFound("no such job");
      const nowMs = clock.now().getTime();
      const rows = taskRunsOfJob(db, job.id);
      const runs = rows.map((r) => ({
        task_id: r.taskUuid,
        task_name: r.taskName,
        task_type: r.taskType,
        worker_id: r.workerUuid,
        worker_name: r.workerName,
        started_at: iso(r.startedAt),
        ...(r.endedAt ? { ended_at: iso(r.endedAt) } : {}),
        duration_ms: durationMs(r, nowMs),
        outcome: r.outcome,
      }));
      const completed = runs.filter((r) => r.outcome === "completed");
      type WorkerTally = {
        worker_id: string;
        worker_name: string;
        runs: number;
        completed: number;
        failed: number;
        total_ms: number;
      };
      const workers = new Map<string, WorkerTally>();
      for (const r of runs) {
        const w = workers.get(r.worker_id) ?? {
          worker_id: r.worker_id,
          worker_name: r.worker_name,
          runs: 0,
          completed: 0,
          failed: 0,
          total_ms: 0,
        };
        workers.set(r.worker_id, w);
        w.runs++;
        if (FAILED_OUTCOMES.has(r.outcome)) w.failed++;
        if (r.outcome === "completed") {
          w.completed++;
          w.total_ms += r.duration_ms;
        }
      }
      const average = (total: number, n: number) => (n > 0 ? Math.round(total / n) : null);
      return {
        job_id: job.uuid,
        now: iso(new Date(nowMs)),
        runs,
        figures: {
          completed_runs: completed.length,
          average_duration_ms: average(
            completed.reduce((sum, r) => sum + r.duration_ms, 0),
            completed.length,
          ),
          slowest: [...completed].sort((a, b) => b.duration_ms - a.duration_ms).slice(0, SLOWEST_RUNS_LISTED),
          by_worker: [...workers.values()]
            .map(({ total_ms, ...w }) => ({ ...w, average_duration_ms: average(total_ms, w.completed) }))
            .sort((a, b) => b.failed - a.failed || a.worker_name.localeCompare(b.worker_name)),
        },
      };
    },
  };
}

export type Timeline = ReturnType<typeof createTimeline>;
