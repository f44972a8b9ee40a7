// The jobs table: status filter, multi-select with bulk cancel/pause/requeue/delete (for roles
// that may change jobs), and a link to each job's details.
/** @jsxImportSource preact */
import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { useCan } from "../auth/Permitted";
import { byUpdatedDesc } from "../format";
import type { JobRow } from "../records";
import { JOB_ACTIONS, jobActionAllowed, JOB_STATUSES, type JobAction } from "../status-rules";
import { useStore } from "../store";
import type { JobStatus } from "../types";
import { useApp } from "../ui/context";
import { ConfirmButton, Link, Progress, StatusBadge, TimeAgo } from "../ui/widgets";

function StatusFilter(props: {
  counts: Map<JobStatus, number>;
  shown: Set<JobStatus>;
  onChange: (shown: Set<JobStatus>) => void;
}) {
  const present = JOB_STATUSES.filter((s) => props.counts.has(s));
  const toggle = (s: JobStatus) => {
    const next = new Set(props.shown);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    props.onChange(next);
  };
  return (
    <div class="status-filter" role="group" aria-label="Filter by status">
      <button
        type="button"
        class={props.shown.size === 0 ? "chip on" : "chip"}
        onClick={() => props.onChange(new Set())}
      >
        all
      </button>
      {present.map((s) => (
        <button
          type="button"
          key={s}
          class={`chip status-${s} ${props.shown.has(s) ? "on" : ""}`}
          aria-pressed={props.shown.has(s)}
          onClick={() => toggle(s)}
        >
          {s} <span class="count">{props.counts.get(s)}</span>
        </button>
      ))}
    </div>
  );
}

function BulkActions({ selected, onDone }: { selected: JobRow[]; onDone: (action: JobAction) => void }) {
  const { attempt } = useApp().state;
  const eligible = (a: JobAction) => selected.filter((j) => jobActionAllowed(a, j));
  const run = async (a: JobAction) => {
    const jobs = eligible(a);
    const target = JOB_ACTIONS[a].target;
    await Promise.all(
      jobs.map((j) =>
        attempt(`${JOB_ACTIONS[a].label.toLowerCase()} job ${j.name}`, () =>
          target ? api.setJobStatus(j.id, target) : api.deleteJob(j.id),
        ),
      ),
    );
    onDone(a);
  };
  const label = (a: JobAction) =>
    `${JOB_ACTIONS[a].label}${selected.length ? ` (${eligible(a).length})` : ""}`;
  return (
    <div class="toolbar" aria-label="Actions on selected jobs">
      <span class="hint">{selected.length} selected</span>
      {(["cancel", "pause", "requeue"] as const).map((a) => (
        <button type="button" key={a} disabled={eligible(a).length === 0} onClick={() => void run(a)}>
          {label(a)}
        </button>
      ))}
      <ConfirmButton
        label={label("delete")}
        confirmLabel={`Really delete ${eligible("delete").length}?`}
        disabled={eligible("delete").length === 0}
        onConfirm={() => void run("delete")}
      />
    </div>
  );
}

export function JobsTable({ selectedId }: { selectedId?: string }) {
  const jobs = useStore(useApp().state.jobs);
  const canChange = useCan("changeJobs");
  const [shown, setShown] = useState<Set<JobStatus>>(new Set());
  const [checked, setChecked] = useState<Set<string>>(new Set());

  const all = useMemo(() => [...jobs.values()].sort(byUpdatedDesc), [jobs]);
  const counts = useMemo(() => {
    const c = new Map<JobStatus, number>();
    for (const j of all) c.set(j.status, (c.get(j.status) ?? 0) + 1);
    return c;
  }, [all]);
  const visible = shown.size ? all.filter((j) => shown.has(j.status)) : all;
  const selected = all.filter((j) => checked.has(j.id));
  const allVisibleChecked = visible.length > 0 && visible.every((j) => checked.has(j.id));

  const toggle = (id: string) => {
    const next = new Set(checked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChecked(next);
  };

  return (
    <div class="jobs-table">
      <h2>Jobs</h2>
      <StatusFilter counts={counts} shown={shown} onChange={setShown} />
      {canChange && (
        <BulkActions selected={selected} onDone={(a) => a === "delete" && setChecked(new Set())} />
      )}
      <div class="table-scroll">
        <table class="table" aria-label="Jobs">
          <thead>
            <tr>
              {canChange && (
                <th class="col-check">
                  <input
                    type="checkbox"
                    aria-label="Select all shown jobs"
                    checked={allVisibleChecked}
                    onChange={() =>
                      setChecked(allVisibleChecked ? new Set() : new Set(visible.map((j) => j.id)))
                    }
                  />
                </th>
              )}
              <th>Name</th>
              <th>Status</th>
              <th class="hide-narrow">Type</th>
              <th>Prio</th>
              <th>Progress</th>
              <th class="hide-narrow">Updated</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((j) => (
              <tr key={j.id} data-job-id={j.id} class={j.id === selectedId ? "selected" : ""}>
                {canChange && (
                  <td class="col-check">
                    <input
                      type="checkbox"
                      aria-label={`Select job ${j.name}`}
                      checked={checked.has(j.id)}
                      onChange={() => toggle(j.id)}
                    />
                  </td>
                )}
                <td class="col-name">
                  <Link to={{ view: "jobs", jobId: j.id }}>{j.name || j.id}</Link>
                  {j.delete_requested_at && <span class="hint"> (deleting)</span>}
                </td>
                <td>
                  <StatusBadge status={j.status} />
                </td>
                <td class="hide-narrow">{j.type}</td>
                <td>{j.priority}</td>
                <td>
                  <Progress done={j.steps_completed} total={j.steps_total} />
                </td>
                <td class="hide-narrow">
                  <TimeAgo iso={j.updated} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {visible.length === 0 && (
          <p class="hint empty">{all.length ? "No jobs with these statuses." : "No jobs yet."}</p>
        )}
      </div>
    </div>
  );
}
