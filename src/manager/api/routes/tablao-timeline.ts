// Route definition (no handler) of Tablao's job timeline under /api/tablao: the runs of a job's
// tasks by worker, with figures. Not part of Flamenco's contract (tag `tablao-timeline`).
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonResponse, uuidPathParam } from "../schemas";
import { TablaoJobTimeline } from "../schemas/timeline";

export const fetchTablaoJobTimeline = createRoute({
  method: "get",
  path: "/api/tablao/jobs/{job_id}/timeline",
  operationId: "fetchTablaoJobTimeline",
  "x-tablao-access": "viewer",
  tags: ["tablao-timeline"],
  summary: "Every run of the job's tasks by worker, and the figures drawn from them",
  request: { params: z.object({ job_id: uuidPathParam("job_id", "UUID of the job.") }) },
  responses: {
    200: jsonResponse(TablaoJobTimeline, "The job's task runs and figures."),
    ...errorResponses({ 400: "The job ID is not a UUID.", 404: "There is no job with this ID.", 500: true }),
  },
});
