// The selected job's tasks: status, worker, progress and latest activity.
/** @jsxImportSource preact */
import { useMemo } from "preact/hooks";
import type { TaskSummary } from "../types";
import { Link, Progress, StatusBadge, TimeAgo } from "../ui/widgets";

export function TasksTable(props: { jobId: string; tasks: Map<string, TaskSummary>; selectedId?: string }) {
  const tasks = useMemo(
    () => [...props.tasks.values()].sort((a, b) => a.index_in_job - b.index_in_job),
    [props.tasks],
  );
  return (
    <section class="tasks" aria-label="Tasks">
      <h3>Tasks ({tasks.length})</h3>
      <div class="table-scroll">
        <table class="table" aria-label="Tasks table">
          <thead>
            <tr>
              <th>#</th>
              <th>Name</th>
              <th>Status</th>
              <th>Worker</th>
              <th>Progress</th>
              <th>Activity</th>
              <th class="hide-narrow">Updated</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.id} data-task-id={t.id} class={t.id === props.selectedId ? "selected" : ""}>
                <td>{t.index_in_job}</td>
                <td class="col-name">
                  <Link to={{ view: "jobs", jobId: props.jobId, taskId: t.id }}>{t.name}</Link>
                </td>
                <td>
                  <StatusBadge status={t.status} />
                </td>
                <td>
                  {t.worker?.id ? (
                    <Link to={{ view: "workers", workerId: t.worker.id }}>
                      {t.worker.name || t.worker.id}
                    </Link>
                  ) : (
                    "—"
                  )}
                </td>
                <td>
                  <Progress done={t.steps_completed} total={t.steps_total} />
                </td>
                <td class="col-activity">{t.activity ?? ""}</td>
                <td class="hide-narrow">
                  <TimeAgo iso={t.updated} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
