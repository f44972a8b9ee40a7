// The workers view: the workers table (sortable, filtered by status, multi-select with bulk
// status requests and deletion) beside the selected worker's details.
/** @jsxImportSource preact */
import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { useCan } from "../auth/Permitted";
import type { WorkerRow } from "../records";
import { pendingChangeText, REQUESTABLE_WORKER_STATUSES } from "../status-rules";
import { WORKER_STATUSES } from "../../shared/statuses";
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
import { Link, StatusBadge, TimeAgo } from "../ui/widgets";
import { WorkerDetails } from "./WorkerDetails";

const NOUN = { one: "worker", many: "workers" };
const nameOf = (w: WorkerRow) => w.name || w.id;
/** A worker that never signed on has no status; the filter calls it "none", like its badge. */
const statusOf = (w: WorkerRow) => w.status || "none";
const STATUS_ORDER = [...WORKER_STATUSES, "none"];

const COLUMNS: Column<WorkerRow>[] = [
  {
    key: "name",
    label: "Name",
    class: "col-name",
    sortValue: nameOf,
    render: (w) => <Link to={{ view: "workers", workerId: w.id }}>{nameOf(w)}</Link>,
  },
  {
    key: "status",
    label: "Status",
    sortValue: statusOf,
    render: (w) => (
      <>
        <StatusBadge status={w.status} />
        {w.status_change && (
          <span class="requested" title={w.status_change.is_lazy ? "after the current task" : "immediately"}>
            {" "}
            {pendingChangeText(w.status, w.status_change)}
          </span>
        )}
      </>
    ),
  },
  {
    key: "last_seen",
    label: "Last seen",
    firstDir: "desc",
    sortValue: (w) => timeKey(w.last_seen),
    render: (w) => <TimeAgo iso={w.last_seen} />,
  },
  {
    key: "version",
    label: "Version",
    class: "hide-narrow",
    sortValue: (w) => w.version,
    render: (w) => w.version,
  },
];

function WorkerActions({ selection }: { selection: Selection<WorkerRow> }) {
  const canRequest = useCan("changeWorkers");
  const canDelete = useCan("deleteWorkers");
  const { busy, run } = useBulk(NOUN, nameOf);
  const [lazy, setLazy] = useState(false);
  const { selected } = selection;
  const requestable = (s: (typeof REQUESTABLE_WORKER_STATUSES)[number]) =>
    selected.filter((w) => (s === "restart" ? w.can_restart : w.status !== s || w.status_change));
  return (
    <>
      {canRequest && (
        <>
          {REQUESTABLE_WORKER_STATUSES.map((s) => (
            <BulkButton
              key={s}
              label={s}
              eligible={requestable(s).length}
              busy={busy}
              title={s === "restart" ? "Only workers that can restart themselves" : undefined}
              onRun={() =>
                void run(`ask to go ${s}`, requestable(s), (w) => api.requestWorkerStatus(w.id, s, lazy))
              }
            />
          ))}
          <label class="check" title="Let each worker finish its current task first">
            <input type="checkbox" checked={lazy} onChange={(e) => setLazy(e.currentTarget.checked)} />
            lazy
          </label>
        </>
      )}
      {canDelete && (
        <BulkDeleteButton
          eligible={selected.length}
          busy={busy}
          onRun={() =>
            void run("delete", selected, (w) => api.deleteWorker(w.id)).then((ok) => ok && selection.clear())
          }
        />
      )}
    </>
  );
}

function WorkersTable({ selectedId }: { selectedId?: string }) {
  const workers = useStore(useApp().state.workers);
  const canAct = useCan("changeWorkers");
  const rows = useMemo(() => [...workers.values()], [workers]);
  return (
    <div class="workers-table">
      <h2>Workers</h2>
      <DataTable
        label="Workers"
        noun={NOUN}
        nameOf={nameOf}
        rows={rows}
        columns={COLUMNS}
        initialSort={{ key: "name", dir: "asc" }}
        statusOf={statusOf}
        statusOrder={STATUS_ORDER}
        selectable={canAct}
        focusedId={selectedId}
        rowAttrs={(w) => ({ "data-worker-id": w.id })}
        toolbar={(selection) => <WorkerActions selection={selection} />}
        empty="No workers have registered yet."
      />
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
