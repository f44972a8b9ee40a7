// The workers view: the workers table beside the selected worker's details.
/** @jsxImportSource preact */
import { useMemo } from "preact/hooks";
import { useStore } from "../store";
import { useApp } from "../ui/context";
import { Link, StatusBadge, TimeAgo } from "../ui/widgets";
import { WorkerDetails } from "./WorkerDetails";

function WorkersTable({ selectedId }: { selectedId?: string }) {
  const workers = useStore(useApp().state.workers);
  const rows = useMemo(() => [...workers.values()].sort((a, b) => a.name.localeCompare(b.name)), [workers]);
  return (
    <div class="workers-table">
      <h2>Workers</h2>
      <div class="table-scroll">
        <table class="table" aria-label="Workers">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Last seen</th>
              <th class="hide-narrow">Version</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.id} data-worker-id={w.id} class={w.id === selectedId ? "selected" : ""}>
                <td class="col-name">
                  <Link to={{ view: "workers", workerId: w.id }}>{w.name || w.id}</Link>
                </td>
                <td>
                  <StatusBadge status={w.status} />
                  {w.status_change && (
                    <span
                      class="requested"
                      title={w.status_change.is_lazy ? "after the current task" : "immediately"}
                    >
                      {" "}
                      ➜ {w.status_change.status}
                      {w.status_change.is_lazy ? " (lazy)" : ""}
                    </span>
                  )}
                </td>
                <td>
                  <TimeAgo iso={w.last_seen} />
                </td>
                <td class="hide-narrow">{w.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p class="hint empty">No workers have registered yet.</p>}
      </div>
    </div>
  );
}

export function WorkersView({ workerId }: { workerId?: string }) {
  return (
    <div class="split">
      <section class="pane pane-list">
        <WorkersTable selectedId={workerId} />
      </section>
      <section class="pane pane-details">
        {workerId ? (
          <WorkerDetails key={workerId} workerId={workerId} />
        ) : (
          <p class="hint">Select a worker to see its details.</p>
        )}
      </section>
    </div>
  );
}
