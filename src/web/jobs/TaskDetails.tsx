// Details of one task: status, worker, activity, commands, failures, requeue/cancel (for roles
// that may change tasks), and a live tail of its log with a link to the full log. The pane holds
// the details and the log one above the other, each scrolling by itself.
/** @jsxImportSource preact */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { IfAllowed } from "../auth/Permitted";
import { isNotOlder } from "../format";
import { canCancelTask, canRequeueTask } from "../status-rules";
import type { JobStatus, Task, TaskLogInfo } from "../types";
import { useApp } from "../ui/context";
import { BusyButton, Field, Link, Progress, StatusBadge, TimeAgo } from "../ui/widgets";
import { appendLines, joinTail } from "./task-log";

function useTask(taskId: string) {
  const { state } = useApp();
  const [task, setTask] = useState<Task | null>(null);
  const [lines, setLines] = useState<string[]>([]);
  const [logInfo, setLogInfo] = useState<TaskLogInfo | null>(null);
  /** Log chunks that arrive while the tail is being fetched; null when not fetching. */
  const loading = useRef<string[] | null>(null);
  const logLocated = useRef<"no" | "asking" | "yes">("no");

  useEffect(() => {
    const { live } = state;
    const loadTask = () => state.attempt("load the task", async () => setTask(await api.task(taskId)));
    const loadLogInfo = async () => {
      logLocated.current = "asking";
      let info: TaskLogInfo | null = null;
      await state.attempt("locate the task log", async () =>
        setLogInfo((info = await api.taskLogInfo(taskId))),
      );
      logLocated.current = info ? "yes" : "no";
    };
    const loadLog = async () => {
      loading.current = [];
      await state.attempt("load the task log", async () => {
        const tail = await api.taskLogTail(taskId);
        setLines(joinTail(tail, loading.current ?? []));
      });
      loading.current = null;
      void loadLogInfo();
    };
    const loadAll = () => {
      void loadTask();
      void loadLog();
    };
    const cleanups = [
      live.subscribe("tasklog", taskId),
      live.on("/tasklog", (u) => {
        if (u.task_id !== taskId) return;
        if (loading.current) loading.current.push(u.log);
        else setLines((l) => appendLines(l, u.log));
        if (logLocated.current === "no") void loadLogInfo();
      }),
      live.on("/task", (u) => {
        if (u.id !== taskId) return;
        setTask((t) =>
          t && isNotOlder(u, t)
            ? {
                ...t,
                status: u.status,
                activity: u.activity,
                updated: u.updated,
                steps_completed: u.steps_completed,
                steps_total: u.steps_total,
                worker: u.worker
                  ? { id: u.worker.uuid, name: u.worker.name, address: t.worker?.address ?? "" }
                  : t.worker,
              }
            : t,
        );
      }),
      state.resyncs.subscribe(loadAll),
    ];
    loadAll();
    return () => cleanups.forEach((c) => c());
  }, [taskId]);

  return { task, lines, logInfo };
}

function TaskLog({ lines, logInfo }: { lines: string[]; logInfo: TaskLogInfo | null }) {
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <section class="task-log" aria-label="Task log">
      <h4>
        Log{" "}
        {logInfo ? (
          <a href={logInfo.url} target="_blank" rel="noreferrer">
            full log
          </a>
        ) : (
          <span class="hint">no log yet</span>
        )}
      </h4>
      <pre
        ref={box}
        class="log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        }}
      >
        {lines.join("\n")}
      </pre>
    </section>
  );
}

export function TaskDetails({ taskId, jobStatus }: { taskId: string; jobStatus: JobStatus | undefined }) {
  const { state } = useApp();
  const { task, lines, logInfo } = useTask(taskId);
  if (!task) return <section class="task-details task-pane hint">Loading task…</section>;
  const act = (what: string, status: "queued" | "canceled") =>
    state.attempt(`${what} the task`, () => api.setTaskStatus(task.id, status));
  return (
    <section class="task-details task-pane" aria-label="Task details" data-task-id={task.id}>
      <div class="task-info" data-scroll="task">
        <h3>Task {task.name}</h3>
        <IfAllowed action="changeTasks">
          <div class="toolbar" aria-label="Task actions">
            <BusyButton
              label="Requeue task"
              disabled={!canRequeueTask(task.status)}
              onClick={() => act("requeue", "queued")}
            />
            <BusyButton
              label="Cancel task"
              disabled={!canCancelTask(task.status, jobStatus)}
              onClick={() => act("cancel", "canceled")}
            />
          </div>
        </IfAllowed>
        <dl class="fields">
          <Field label="Status">
            <StatusBadge status={task.status} />
          </Field>
          <Field label="Activity">{task.activity || "—"}</Field>
          <Field label="Worker">
            {task.worker?.id ? (
              <Link to={{ view: "workers", workerId: task.worker.id }}>
                {task.worker.name || task.worker.id}
              </Link>
            ) : (
              "—"
            )}
          </Field>
          <Field label="Progress">
            <Progress done={task.steps_completed} total={task.steps_total} />
          </Field>
          <Field label="Type">{task.task_type}</Field>
          <Field label="Priority">{task.priority}</Field>
          <Field label="Last touched">
            <TimeAgo iso={task.last_touched} />
          </Field>
          <Field label="Failed by">
            {task.failed_by_workers?.length
              ? task.failed_by_workers.map((w) => w.name || w.id).join(", ")
              : "—"}
          </Field>
          <Field label="Commands">
            {(task.commands ?? []).map((c, i) => (
              <div key={i} class="mono command">
                {c.name} {JSON.stringify(c.parameters)}
              </div>
            ))}
          </Field>
        </dl>
      </div>
      <TaskLog lines={lines} logInfo={logInfo} />
    </section>
  );
}
