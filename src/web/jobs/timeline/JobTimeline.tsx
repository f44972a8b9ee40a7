// Beyond Flamenco: a job's timeline, a lane per worker with a bar per task run coloured by its
// outcome, and the figures that make a slow or failing machine stand out.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { clockTime, durationText } from "../../format";
import { useApp } from "../../ui/context";
import { standsOut, timelineLanes } from "./lanes";
import { timelineApi, type JobTimelineData, type TaskRun } from "./timeline-api";

/** Task status changes come in bursts; the timeline reloads once they settle. */
const TIMELINE_RELOAD_DELAY_MS = 1000;

const runTitle = (r: TaskRun) =>
  `${r.task_name} on ${r.worker_name}: ${clockTime(Date.parse(r.started_at))}–` +
  `${r.ended_at ? clockTime(Date.parse(r.ended_at)) : "now"} (${durationText(r.duration_ms)}), ${r.outcome}`;

function Lanes({ data }: { data: JobTimelineData }) {
  const { lanes, startMs, endMs } = timelineLanes(data);
  return (
    <div class="timeline" role="list" aria-label="Task runs by worker">
      {lanes.map((lane) => (
        <div key={lane.workerId} class="timeline-lane" role="listitem" data-worker-name={lane.workerName}>
          <span class="timeline-worker" title={lane.workerName}>
            {lane.workerName}
          </span>
          <span class="timeline-track">
            {lane.bars.map((b, i) => (
              <span
                key={i}
                class={`timeline-bar outcome-${b.run.outcome}`}
                data-task-name={b.run.task_name}
                style={{ left: `${b.leftPct}%`, width: `max(${b.widthPct}%, 3px)` }}
                title={runTitle(b.run)}
              >
                {b.run.task_name}
              </span>
            ))}
          </span>
        </div>
      ))}
      <div class="timeline-axis hint">
        <span>{clockTime(startMs)}</span>
        <span>{durationText(endMs - startMs)}</span>
        <span>{clockTime(endMs)}</span>
      </div>
    </div>
  );
}

function Figures({ data }: { data: JobTimelineData }) {
  const f = data.figures;
  return (
    <div class="timeline-figures">
      <p>
        Average task:{" "}
        <strong>{f.average_duration_ms === null ? "—" : durationText(f.average_duration_ms)}</strong>{" "}
        <span class="hint">over {f.completed_runs} completed runs</span>
      </p>
      <table class="table" aria-label="Figures by worker">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Runs</th>
            <th>Completed</th>
            <th>Failed</th>
            <th>Average</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {f.by_worker.map((w) => {
            const why = standsOut(w, f.average_duration_ms);
            return (
              <tr key={w.worker_id} class={why ? `stands-out stands-out-${why}` : ""}>
                <td>{w.worker_name}</td>
                <td>{w.runs}</td>
                <td>{w.completed}</td>
                <td>{w.failed}</td>
                <td>{w.average_duration_ms === null ? "—" : durationText(w.average_duration_ms)}</td>
                <td>{why && <span class="status status-failed">{why}</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {f.slowest.length > 0 && (
        <details>
          <summary>Slowest tasks</summary>
          <ol class="timeline-slowest">
            {f.slowest.map((r, i) => (
              <li key={i}>
                {r.task_name} on {r.worker_name}: {durationText(r.duration_ms)}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

export function JobTimeline({ jobId }: { jobId: string }) {
  const { state } = useApp();
  const [data, setData] = useState<JobTimelineData | null>(null);
  useEffect(() => {
    let reloadTimer: ReturnType<typeof setTimeout> | undefined;
    // An answer for a job no longer shown (or a pane gone meanwhile) is not shown.
    let shown = true;
    const load = () =>
      void state.attempt("load the job timeline", async () => {
        const timeline = await timelineApi.ofJob(jobId);
        if (shown) setData(timeline);
      });
    const cleanups = [
      state.live.on("/task", (u) => {
        if (u.job_id !== jobId || u.previous_status === u.status) return;
        // A reload already due takes this change along: restarting it at every change would
        // hold the timeline still for as long as the changes come faster than the delay.
        reloadTimer ??= setTimeout(() => {
          reloadTimer = undefined;
          load();
        }, TIMELINE_RELOAD_DELAY_MS);
      }),
      state.resyncs.subscribe(load),
      () => clearTimeout(reloadTimer),
      () => (shown = false),
    ];
    load();
    return () => cleanups.forEach((c) => c());
  }, [jobId]);
  const runs = data?.runs.length ?? 0;
  return (
    <details class="job-timeline" aria-label="Job timeline" open={runs > 0}>
      <summary>
        Timeline ({runs} run{runs === 1 ? "" : "s"})
      </summary>
      {data && runs > 0 ? (
        <>
          <Lanes data={data} />
          <Figures data={data} />
        </>
      ) : (
        <p class="hint">No task has run yet.</p>
      )}
    </details>
  );
}
