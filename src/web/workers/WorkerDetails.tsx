// Details of one worker and what people whose role allows it can do with it: request a status,
// set its tags, edit its sleep schedule, delete it.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { api, ApiRequestError } from "../api";
import { IfAllowed, Permitted } from "../auth/Permitted";
import { REQUESTABLE_WORKER_STATUSES } from "../status-rules";
import { useStore } from "../store";
import type { Worker } from "../types";
import { useApp } from "../ui/context";
import { ConfirmButton, Field, Link, StatusBadge, TimeAgo } from "../ui/widgets";
import { SleepScheduleForm } from "./SleepScheduleForm";

function StatusRequest({ worker }: { worker: Worker }) {
  const { attempt } = useApp().state;
  const [lazy, setLazy] = useState(false);
  const pending = worker.status_change;
  const request = (status: (typeof REQUESTABLE_WORKER_STATUSES)[number]) =>
    attempt(`ask ${worker.name} to go ${status}`, () => api.requestWorkerStatus(worker.id, status, lazy));
  return (
    <section class="status-request" aria-label="Request a status">
      <h3>Request a status</h3>
      <div class="toolbar">
        {REQUESTABLE_WORKER_STATUSES.map((s) => (
          <button
            type="button"
            key={s}
            disabled={s === "restart" && !worker.can_restart}
            title={s === "restart" && !worker.can_restart ? "This worker cannot restart itself" : undefined}
            onClick={() => void request(s)}
          >
            {s}
          </button>
        ))}
        <label class="check">
          <input type="checkbox" checked={lazy} onChange={(e) => setLazy(e.currentTarget.checked)} />
          after the current task (lazy)
        </label>
      </div>
      {pending && (
        <p class="pending">
          {worker.status === "offline" ? (
            <>
              At its next sign-on: <StatusBadge status={pending.status} />
            </>
          ) : (
            <>
              Requested: <StatusBadge status={pending.status} />{" "}
              {pending.is_lazy ? "after the current task" : "immediately"}
            </>
          )}
          {worker.status && (
            <button
              type="button"
              class="link-button"
              onClick={() =>
                void attempt("cancel the status request", () =>
                  api.requestWorkerStatus(worker.id, worker.status as Exclude<Worker["status"], "">, false),
                )
              }
            >
              cancel request
            </button>
          )}
        </p>
      )}
    </section>
  );
}

function TagPicker({ worker }: { worker: Worker }) {
  const { state } = useApp();
  const tags = useStore(state.tags);
  const current = (worker.tags ?? []).map((t) => t.id ?? "").filter(Boolean);
  const [chosen, setChosen] = useState(new Set(current));
  useEffect(() => setChosen(new Set(current)), [current.join(",")]);
  const changed = chosen.size !== current.length || current.some((id) => !chosen.has(id));
  return (
    <section class="tag-picker" aria-label="Worker tags">
      <h3>Tags</h3>
      {tags.length === 0 && <p class="hint">No tags exist yet.</p>}
      <div class="checks">
        {tags.map((t) => (
          <label class="check" key={t.id}>
            <input
              type="checkbox"
              checked={chosen.has(t.id ?? "")}
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.currentTarget.checked) next.add(t.id ?? "");
                else next.delete(t.id ?? "");
                setChosen(next);
              }}
            />
            {t.name}
          </label>
        ))}
      </div>
      <button
        type="button"
        disabled={!changed}
        onClick={() =>
          void state.attempt("set the worker's tags", () => api.setWorkerTags(worker.id, [...chosen]))
        }
      >
        Save tags
      </button>
    </section>
  );
}

export function WorkerDetails({ workerId }: { workerId: string }) {
  const { state, router } = useApp();
  const [worker, setWorker] = useState<Worker | null>(null);
  const [missing, setMissing] = useState(false);
  const reachable = useStore(state.reachable);

  useEffect(() => {
    const load = () =>
      state.attempt("load the worker", async () => {
        try {
          setWorker(await api.worker(workerId));
          setMissing(false);
        } catch (err) {
          // Only the Manager's own 404 says so: no answer (it is away) proves nothing.
          if (err instanceof ApiRequestError && err.status === 404) setMissing(true);
          throw err;
        }
      });
    const cleanups = [
      state.live.on("/workers", (u) => {
        if (u.id !== workerId) return;
        if (u.deleted_at) router.go({ view: "workers" }, { replace: true });
        else void load();
      }),
      state.resyncs.subscribe(() => void load()),
    ];
    void load();
    return () => cleanups.forEach((c) => c());
  }, [workerId]);

  if (missing) return <p class="hint">This worker does not exist (any more).</p>;
  if (!worker)
    return <p class="hint">{reachable ? "Loading worker…" : "The worker loads once the Manager answers."}</p>;
  return (
    <section class="worker-details" aria-label="Worker details" data-worker-id={worker.id}>
      <h2>{worker.name}</h2>
      <dl class="fields">
        <Field label="Status">
          <StatusBadge status={worker.status} />
        </Field>
        <Field label="Last seen">
          <TimeAgo iso={worker.last_seen} />
        </Field>
        <Field label="Current task">
          {worker.task ? (
            <Link to={{ view: "jobs", jobId: worker.task.job_id, taskId: worker.task.id }}>
              {worker.task.name} ({worker.task.status})
            </Link>
          ) : (
            "—"
          )}
        </Field>
        <Field label="Platform">{worker.platform}</Field>
        <Field label="Version">{worker.version || "—"}</Field>
        <Field label="Address">{worker.ip_address}</Field>
        <Field label="Task types">{worker.supported_task_types.join(", ") || "—"}</Field>
        <Field label="Can restart">{worker.can_restart ? "yes" : "no"}</Field>
        <Field label="Tags">{(worker.tags ?? []).map((t) => t.name).join(", ") || "—"}</Field>
        <Field label="ID">
          <span class="mono">{worker.id}</span>
        </Field>
      </dl>
      <IfAllowed action="changeWorkers">
        <StatusRequest worker={worker} />
      </IfAllowed>
      <Permitted action="changeWorkers">
        <TagPicker worker={worker} />
        <SleepScheduleForm workerId={worker.id} />
      </Permitted>
      <IfAllowed action="deleteWorkers">
        <section class="danger-zone">
          <ConfirmButton
            label="Delete worker"
            confirmLabel="Really delete this worker?"
            onConfirm={() => void state.attempt("delete the worker", () => api.deleteWorker(worker.id))}
          />
        </section>
      </IfAllowed>
    </section>
  );
}
