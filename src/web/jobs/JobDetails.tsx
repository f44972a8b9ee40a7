// One job: its header (name, status, progress and the actions, kept in view by the layout) and
// its details (settings and metadata, priority editing, last-rendered image, blocklist);
// changes only for roles that may make them.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { IfAllowed, Permitted, useCan } from "../auth/Permitted";
import { JOB_ACTIONS, jobActionAllowed } from "../status-rules";
import { useStore } from "../store";
import type { BlocklistEntry, Job, LastRenderedInfo } from "../types";
import { LastRenderedImage } from "../last-rendered/LastRenderedImage";
import { useApp } from "../ui/context";
import { BusyButton, ConfirmButton, Field, Progress, StatusBadge, TimeAgo } from "../ui/widgets";

const PRIORITY_MIN = 0;
const PRIORITY_MAX = 100;

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function KeyValues({ title, values }: { title: string; values: Record<string, unknown> | undefined }) {
  const entries = Object.entries(values ?? {});
  return (
    <details class="key-values" open>
      <summary>{title}</summary>
      {entries.length === 0 ? (
        <p class="hint">none</p>
      ) : (
        <dl class="fields">
          {entries.map(([k, v]) => (
            <Field key={k} label={k}>
              <span class="mono">{show(v)}</span>
            </Field>
          ))}
        </dl>
      )}
    </details>
  );
}

function PriorityEditor({ job }: { job: Job }) {
  const { attempt } = useApp().state;
  const [value, setValue] = useState(String(job.priority));
  useEffect(() => setValue(String(job.priority)), [job.priority]);
  const n = Number(value);
  const valid = value.trim() !== "" && Number.isInteger(n) && n >= PRIORITY_MIN && n <= PRIORITY_MAX;
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) void attempt("change the priority", () => api.setJobPriority(job.id, n));
      }}
    >
      <input
        type="number"
        min={PRIORITY_MIN}
        max={PRIORITY_MAX}
        aria-label="Priority"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit" disabled={!valid || n === job.priority}>
        Set priority
      </button>
    </form>
  );
}

function JobActions({ job, onDeleted }: { job: Job; onDeleted: () => void }) {
  const { attempt } = useApp().state;
  const remove = async () => {
    if (await attempt("delete the job", () => api.deleteJob(job.id))) onDeleted();
  };
  return (
    <div class="toolbar" aria-label="Job actions">
      {(["cancel", "pause", "requeue"] as const).map((a) => (
        <BusyButton
          key={a}
          label={JOB_ACTIONS[a].label}
          disabled={!jobActionAllowed(a, job)}
          onClick={() => attempt(`${a} the job`, () => api.setJobStatus(job.id, JOB_ACTIONS[a].target!))}
        />
      ))}
      <ConfirmButton
        label="Delete"
        confirmLabel="Really delete?"
        disabled={!jobActionAllowed("delete", job)}
        onConfirm={() => void remove()}
      />
    </div>
  );
}

function Blocklist({
  job,
  entries,
  onChange,
}: {
  job: Job;
  entries: BlocklistEntry[];
  onChange: () => void;
}) {
  const { attempt } = useApp().state;
  const canChange = useCan("changeJobs");
  const unblock = async (entry: BlocklistEntry) => {
    await attempt("remove the blocklist entry", () => api.removeFromBlocklist(job.id, [entry]));
    onChange();
  };
  return (
    <details class="blocklist" open={entries.length > 0}>
      <summary>Blocklist ({entries.length})</summary>
      {entries.length === 0 ? (
        <p class="hint">No worker is blocked from this job.</p>
      ) : (
        <table class="table" aria-label="Blocklist">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Task type</th>
              {canChange && <th />}
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={`${e.worker_id}/${e.task_type}`}>
                <td>{e.worker_name || e.worker_id}</td>
                <td>{e.task_type}</td>
                {canChange && (
                  <td>
                    <button type="button" onClick={() => void unblock(e)}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

/** The part of a job that stays in view while its tasks and logs scroll. */
export function JobHeader({ job, onDeleted }: { job: Job; onDeleted: () => void }) {
  return (
    <header class="job-header" aria-label="Job header">
      <div class="job-title">
        <h2 title={job.name}>{job.name}</h2>
        <StatusBadge status={job.status} />
        {job.delete_requested_at && <span class="hint">deletion requested</span>}
        <Progress done={job.steps_completed} total={job.steps_total} />
      </div>
      <IfAllowed action="changeJobs">
        <JobActions job={job} onDeleted={onDeleted} />
      </IfAllowed>
    </header>
  );
}

export function JobDetails(props: {
  job: Job;
  blocklist: BlocklistEntry[];
  lastRendered: LastRenderedInfo | null;
  imageVersion: number;
  onBlocklistChange: () => void;
}) {
  const { job } = props;
  const tags = useStore(useApp().state.tags);
  const tag = job.worker_tag
    ? (tags.find((t) => t.id === job.worker_tag)?.name ?? job.worker_tag)
    : "any worker";
  return (
    <div class="job-info">
      <div class="details-grid">
        <dl class="fields">
          <Field label="Status">
            <StatusBadge status={job.status} />
            {job.delete_requested_at && <span class="hint"> deletion requested</span>}
          </Field>
          <Field label="Activity">{job.activity || "—"}</Field>
          <Field label="Type">{job.type}</Field>
          <Field label="Priority">
            <Permitted action="changeJobs">
              <PriorityEditor job={job} />
            </Permitted>
          </Field>
          <Field label="Worker tag">{tag}</Field>
          <Field label="Created">
            <TimeAgo iso={job.created} />
          </Field>
          <Field label="Updated">
            <TimeAgo iso={job.updated} />
          </Field>
          <Field label="ID">
            <span class="mono">{job.id}</span>
          </Field>
        </dl>
        {props.lastRendered && (
          <LastRenderedImage info={props.lastRendered} version={props.imageVersion} size="small" />
        )}
      </div>
      <KeyValues title="Settings" values={job.settings} />
      <KeyValues title="Metadata" values={job.metadata} />
      <Blocklist job={job} entries={props.blocklist} onChange={props.onBlocklistChange} />
    </div>
  );
}
