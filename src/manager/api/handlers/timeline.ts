// Handler of Tablao's job timeline operation (src/manager/jobs/timeline.ts).
import type { Timeline } from "../../jobs/timeline";
import type { Handlers } from "./registry";

export function timelineHandlers(timeline: Timeline): Handlers {
  return {
    fetchTablaoJobTimeline: (c) => c.json(timeline.ofJob(c.req.valid("param").job_id), 200),
  };
}
