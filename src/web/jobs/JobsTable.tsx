// The jobs table: sortable columns, a status filter, multi-select with bulk cancel/pause/requeue/
// delete (for roles that may change jobs), "select preceding jobs", and a link to each job.
/** @jsxImportSource preact */
import { useMemo } from "preact/hooks";
import { api } from "../api";
import { useCan } from "../auth/Permitted";
import type { JobRow } from "../records";
import { JOB_ACTIONS, jobActionAllowed, JOB_STATUSES, type JobAction } from "../status-rules";
import { useStore } from "../store";
import { useApp } from "../ui/context";
import {
  BulkButton,
  BulkDeleteButton,
  DataTable,
  useBulk,
  type Column,
  type Selection,
} from "../ui/table/DataTable";
import { timeKey } from "../ui/table/sorting";
import { Link, Progress, StatusBadge, TimeAgo } from "../ui/widgets";

const NOUN = { one: "job", many: "jobs" };
const nameOf = (j: JobRow) => j.name || j.id;
const statusOf = (j: JobRow) => j.status;

const COLUMNS: Column<JobRow>[] = [
  {
    key: "name",
    label: "Name",
    class: "col-name",
    sortValue: nameOf,
    render: (j) => (
      <>
        <Link to={{ view: "jobs", jobId: j.id }}>{nameOf(j)}</Link>
        {j.delete_requested_at && <span class="hint"> (deleting)</span>}
      </>
    ),
  },
  { key: "status", label: "Status", sortValue: statusOf, render: (j) => <StatusBadge status={j.status} /> },
  { key: "type", label: "Type", class: "hide-narrow", sortValue: (j) => j.type, render: (j) => j.type },
  {
    key: "priority",
    label: "Prio",
    firstDir: "desc",
    sortValue: (j) => j.priority,
    render: (j) => j.priority,
  },
  {
    key: "progress",
    label: "Progress",
    render: (j) => <Progress done={j.steps_completed} total={j.steps_total} />,
  },
  {
    key: "updated",
    label: "Updated",
    class: "hide-narrow",
    firstDir: "desc",
    sortValue: (j) => timeKey(j.updated),
    render: (j) => <TimeAgo iso={j.updated} />,
  },
];

/**
 * The focused job and every shown job last updated at or before it: the jobs the Manager's
 * mass deletion would take with that job's update time as its limit.
 */
export function precedingJobs(shown: readonly JobRow[], focused: JobRow): JobRow[] {
  const limit = timeKey(focused.updated);
  return shown.filter((j) => timeKey(j.updated) <= limit);
}

function JobActions({ selection, focused }: { selection: Selection<JobRow>; focused?: JobRow }) {
  const { busy, run } = useBulk(NOUN, nameOf);
  const { selected } = selection;
  const eligible = (a: JobAction) => selected.filter((j) => jobActionAllowed(a, j));
  const act = async (a: JobAction) => {
    const target = JOB_ACTIONS[a].target;
    const done = await run(JOB_ACTIONS[a].label.toLowerCase(), eligible(a), (j) =>
      target ? api.setJobStatus(j.id, target) : api.deleteJob(j.id),
    );
    if (done && a === "delete") selection.clear();
  };
  const focusedShown = focused && selection.shown.some((j) => j.id === focused.id);
  return (
    <>
      {(["cancel", "pause", "requeue"] as const).map((a) => (
        <BulkButton
          key={a}
          label={JOB_ACTIONS[a].label}
          eligible={eligible(a).length}
          busy={busy}
          onRun={() => void act(a)}
        />
      ))}
      <BulkDeleteButton eligible={eligible("delete").length} busy={busy} onRun={() => void act("delete")} />
      <button
        type="button"
        class="select-preceding"
        disabled={!focusedShown}
        title={
          focusedShown
            ? `Select ${focused.name} and every shown job last updated before it`
            : "Open a job first: this selects it and the jobs updated before it"
        }
        onClick={() => focused && selection.select(precedingJobs(selection.shown, focused).map((j) => j.id))}
      >
        Select preceding jobs
      </button>
    </>
  );
}

export function JobsTable({ selectedId }: { selectedId?: string }) {
  const jobs = useStore(useApp().state.jobs);
  const canChange = useCan("changeJobs");
  const rows = useMemo(() => [...jobs.values()], [jobs]);
  const focused = selectedId ? jobs.get(selectedId) : undefined;
  return (
    <div class="jobs-table">
      <h2>Jobs</h2>
      <DataTable
        label="Jobs"
        noun={NOUN}
        nameOf={nameOf}
        rows={rows}
        columns={COLUMNS}
        initialSort={{ key: "updated", dir: "desc" }}
        statusOf={statusOf}
        statusOrder={JOB_STATUSES}
        selectable={canChange}
        focusedId={selectedId}
        rowAttrs={(j) => ({ "data-job-id": j.id })}
        toolbar={(selection) => <JobActions selection={selection} focused={focused} />}
        empty="No jobs yet."
      />
    </div>
  );
}
