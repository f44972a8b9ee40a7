// The selected job's tasks: status, worker, progress and latest activity, sortable and filtered by
// status, with bulk requeue and cancel for roles that may change tasks.
/** @jsxImportSource preact */
import { useMemo } from "preact/hooks";
import { api } from "../api";
import { useCan } from "../auth/Permitted";
import { canCancelTask, canRequeueTask } from "../status-rules";
import { TASK_STATUSES } from "../../shared/statuses";
import type { JobStatus, TaskSummary } from "../types";
import { BulkButton, DataTable, useBulk, type Column, type Selection } from "../ui/table/DataTable";
import { timeKey } from "../ui/table/sorting";
import { Link, Progress, StatusBadge, TimeAgo } from "../ui/widgets";

const NOUN = { one: "task", many: "tasks" };
const nameOf = (t: TaskSummary) => t.name;
const statusOf = (t: TaskSummary) => t.status;
const workerName = (t: TaskSummary) => (t.worker?.id ? t.worker.name || t.worker.id : "");

function columns(jobId: string): Column<TaskSummary>[] {
  return [
    { key: "index", label: "#", sortValue: (t) => t.index_in_job, render: (t) => t.index_in_job },
    {
      key: "name",
      label: "Name",
      class: "col-name",
      sortValue: nameOf,
      render: (t) => <Link to={{ view: "jobs", jobId, taskId: t.id }}>{t.name}</Link>,
    },
    { key: "status", label: "Status", sortValue: statusOf, render: (t) => <StatusBadge status={t.status} /> },
    {
      key: "worker",
      label: "Worker",
      sortValue: workerName,
      render: (t) =>
        t.worker?.id ? <Link to={{ view: "workers", workerId: t.worker.id }}>{workerName(t)}</Link> : "—",
    },
    {
      key: "progress",
      label: "Progress",
      render: (t) => <Progress done={t.steps_completed} total={t.steps_total} />,
    },
    { key: "activity", label: "Activity", class: "col-activity", render: (t) => t.activity ?? "" },
    {
      key: "updated",
      label: "Updated",
      class: "hide-narrow",
      firstDir: "desc",
      sortValue: (t) => timeKey(t.updated),
      render: (t) => <TimeAgo iso={t.updated} />,
    },
  ];
}

function TaskActions({ selection, jobStatus }: { selection: Selection<TaskSummary>; jobStatus: JobStatus }) {
  const { busy, run } = useBulk(NOUN, nameOf);
  const requeue = selection.selected.filter((t) => canRequeueTask(t.status));
  const cancel = selection.selected.filter((t) => canCancelTask(t.status, jobStatus));
  return (
    <>
      <BulkButton
        label="Requeue"
        eligible={requeue.length}
        busy={busy}
        onRun={() => void run("requeue", requeue, (t) => api.setTaskStatus(t.id, "queued"))}
      />
      <BulkButton
        label="Cancel"
        eligible={cancel.length}
        busy={busy}
        onRun={() => void run("cancel", cancel, (t) => api.setTaskStatus(t.id, "canceled"))}
      />
    </>
  );
}

export function TasksTable(props: {
  jobId: string;
  jobStatus: JobStatus;
  tasks: Map<string, TaskSummary>;
  selectedId?: string;
}) {
  const canChange = useCan("changeTasks");
  const rows = useMemo(() => [...props.tasks.values()], [props.tasks]);
  const cols = useMemo(() => columns(props.jobId), [props.jobId]);
  return (
    <section class="tasks" aria-label="Tasks">
      <h3>Tasks ({rows.length})</h3>
      <DataTable
        label="Tasks table"
        noun={NOUN}
        nameOf={nameOf}
        rows={rows}
        columns={cols}
        initialSort={{ key: "index", dir: "asc" }}
        statusOf={statusOf}
        statusOrder={TASK_STATUSES}
        selectable={canChange}
        focusedId={props.selectedId}
        rowAttrs={(t) => ({ "data-task-id": t.id })}
        toolbar={(selection) => <TaskActions selection={selection} jobStatus={props.jobStatus} />}
        empty="This job has no tasks."
      />
    </section>
  );
}
