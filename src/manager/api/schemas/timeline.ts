// Schemas of Tablao's job timeline (tag `tablao-timeline`): a job's task runs by worker and the
// figures derived from them. Not part of Flamenco's contract.
import { z } from "@hono/zod-openapi";
import { dateTime, uuid } from "./common";

const durationMs = () => z.number().int().nonnegative().openapi({ description: "Milliseconds." });

export const TablaoTaskRun = z
  .object({
    task_id: uuid(),
    task_name: z.string(),
    task_type: z.string(),
    worker_id: uuid().openapi({ description: "The worker's UUID at the time (it may since be deleted)." }),
    worker_name: z.string(),
    started_at: dateTime(),
    ended_at: dateTime().optional().openapi({ description: "Absent while the run goes on." }),
    duration_ms: durationMs().openapi({ description: "Until its end, or until `now` while it runs." }),
    outcome: z.string().openapi({
      description:
        "The task's status when the run ended: completed, failed, soft-failed, canceled, paused, " +
        "queued (taken back: requeued, timed out, worker signed off); `active` while it runs.",
    }),
  })
  .openapi("TablaoTaskRun", { description: "One stretch of a task being active on one worker." });

export const TablaoWorkerFigures = z
  .object({
    worker_id: uuid(),
    worker_name: z.string(),
    runs: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int().openapi({ description: "Runs that ended failed or soft-failed." }),
    average_duration_ms: durationMs()
      .nullable()
      .openapi({ description: "Of its completed runs; null without any." }),
  })
  .openapi("TablaoWorkerFigures");

export const TablaoJobTimeline = z
  .object({
    job_id: uuid(),
    now: dateTime().openapi({ description: "The Manager's time of the answer, the end of running bars." }),
    runs: z.array(TablaoTaskRun).openapi({ description: "Oldest first; a task keeps its 50 latest runs." }),
    figures: z.object({
      completed_runs: z.number().int(),
      average_duration_ms: durationMs().nullable().openapi({ description: "Of the completed runs." }),
      slowest: z.array(TablaoTaskRun).openapi({ description: "The slowest completed runs, slowest first." }),
      by_worker: z.array(TablaoWorkerFigures).openapi({ description: "Most failures first, then by name." }),
    }),
  })
  .openapi("TablaoJobTimeline", { description: "Who ran which task of a job, when and for how long." });
