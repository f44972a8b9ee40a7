// The dashboard's client of the job timeline (GET /api/tablao/jobs/{id}/timeline); wire types
// are inferred from the Manager's schemas (type-only import).
import type { z } from "zod";
import type * as schemas from "../../../manager/api/schemas/timeline";
import { request } from "../../api";

export type JobTimelineData = z.infer<typeof schemas.TablaoJobTimeline>;
export type TaskRun = z.infer<typeof schemas.TablaoTaskRun>;
export type WorkerFigures = z.infer<typeof schemas.TablaoWorkerFigures>;

export const timelineApi = {
  ofJob: async (jobId: string) =>
    (await (
      await request("GET", `/api/tablao/jobs/${encodeURIComponent(jobId)}/timeline`)
    ).json()) as JobTimelineData,
};
