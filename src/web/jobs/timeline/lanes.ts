// Turns a job's task runs into lanes, one per worker, with each bar's place on a shared time axis
// (percent of the span from the first start to the last end), and picks the workers that stand out.
import type { JobTimelineData, TaskRun, WorkerFigures } from "./timeline-api";

/** A worker whose average completed run is this much slower than the job's average stands out. */
const SLOW_WORKER_FACTOR = 1.5;

export interface Bar {
  run: TaskRun;
  leftPct: number;
  widthPct: number;
}

export interface Lane {
  workerId: string;
  workerName: string;
  bars: Bar[];
}

const endMs = (r: TaskRun, nowMs: number) => (r.ended_at ? Date.parse(r.ended_at) : nowMs);

export function timelineLanes(data: JobTimelineData): { lanes: Lane[]; startMs: number; endMs: number } {
  const nowMs = Date.parse(data.now);
  const starts = data.runs.map((r) => Date.parse(r.started_at));
  const start = Math.min(...starts);
  const end = Math.max(...data.runs.map((r) => endMs(r, nowMs)));
  const span = Math.max(1, end - start);
  const lanes = new Map<string, Lane>();
  for (const run of data.runs) {
    let lane = lanes.get(run.worker_id);
    if (!lane)
      lanes.set(run.worker_id, (lane = { workerId: run.worker_id, workerName: run.worker_name, bars: [] }));
    const s = Date.parse(run.started_at);
    lane.bars.push({
      run,
      leftPct: ((s - start) / span) * 100,
      widthPct: ((endMs(run, nowMs) - s) / span) * 100,
    });
  }
  const sorted = [...lanes.values()].sort((a, b) => a.workerName.localeCompare(b.workerName));
  return { lanes: sorted, startMs: start, endMs: end };
}

/** Why a worker stands out ("failures", "slow"), or null. */
export function standsOut(w: WorkerFigures, jobAverageMs: number | null): string | null {
  if (w.failed > 0) return "failures";
  if (
    jobAverageMs &&
    w.average_duration_ms !== null &&
    w.average_duration_ms > jobAverageMs * SLOW_WORKER_FACTOR
  )
    return "slow";
  return null;
}
