// Runs one assigned task: reports it started, runs its commands in order,
// counts steps, reports completion or the first failure, and meanwhile asks may-i-run. When the
// Manager says stop (or refuses an update as reassigned), the running command is killed and
// nothing more is reported for the task. Once the task's end is reported, a refusal is no reason
// to stop anything: the task is over for this worker either way, and the next one may come.
import type { Logger } from "../shared/log";
import type { AssignedTask, ManagerApi, TaskUpdate } from "./client";
import { runCommand } from "./commands";
import { CommandCancelled, type CommandContext, type SubprocessSettings } from "./commands/context";
import { LOG_CHUNK_MAX_BYTES } from "./constants";
import { LogChunker } from "./log-chunker";
import type { Delivery } from "./upstream";
import { sleepUnlessAborted } from "./wait";

export type TaskOutcome =
  | { kind: "completed" }
  | { kind: "failed"; message: string }
  /** Stopped from outside: may-i-run said no, the Manager refused an update, or shutdown. */
  | { kind: "aborted"; reason: string; statusChangeRequested: boolean }
  /** The Manager refused "Started"; the task was not run. */
  | { kind: "not-run"; reason: string };

export interface TaskRunnerDeps {
  api: ManagerApi;
  upstream: { send(taskId: string, update: TaskUpdate): Promise<Delivery> };
  previews: { offer(taskId: string, path: string): void };
  subprocess: SubprocessSettings;
  mayIRunPeriodMs: number;
  logChunkMaxAgeMs: number;
  log: Logger;
}

/** Runs `task` to its end; `shutdown` aborts it like a "stop" from the Manager. */
export async function runTask(
  task: AssignedTask,
  deps: TaskRunnerDeps,
  shutdown: AbortSignal,
): Promise<TaskOutcome> {
  const { api, upstream, log } = deps;
  const abortController = new AbortController();
  const signal = abortController.signal;
  const stopped: { why: { reason: string; statusChangeRequested: boolean } | null } = { why: null };
  const abort = (reason: string, statusChangeRequested = false) => {
    if (signal.aborted) return;
    stopped.why = { reason, statusChangeRequested };
    log("info", `task ${task.uuid}: stopping: ${reason}`);
    abortController.abort();
  };
  const onShutdown = () => abort("the worker is shutting down");
  shutdown.addEventListener("abort", onShutdown, { once: true });
  if (shutdown.aborted) onShutdown();

  let ended = false;
  /** Once the task is stopped, nothing more is sent for it. */
  const report = (update: TaskUpdate): Promise<Delivery | null> => {
    if (signal.aborted) return Promise.resolve(null);
    if (update.taskStatus === "completed" || update.taskStatus === "failed") ended = true;
    return upstream.send(task.uuid, update).then((delivery) => {
      const taskGone = delivery.kind === "refused" && (delivery.status === 409 || delivery.status === 404);
      if (taskGone && !ended)
        abort(`the Manager no longer has the task for this worker (${delivery.message})`);
      return delivery;
    });
  };

  const finished = new AbortController();
  let watchdog: Promise<void> = Promise.resolve();
  try {
    const started = await report({ activity: "Started", taskStatus: "active" });
    if (started?.kind === "refused") return { kind: "not-run", reason: started.message };
    watchdog = mayIRunWatchdog(
      task.uuid,
      api,
      deps.mayIRunPeriodMs,
      AbortSignal.any([finished.signal, signal]),
      abort,
    );

    let steps = 0;
    const step = () => void report({ activity: "Progress", steps_completed: ++steps });
    const ctx: CommandContext = {
      signal,
      log: (text) => void report({ log: text }),
      chunker: () =>
        new LogChunker((text) => void report({ log: text }), LOG_CHUNK_MAX_BYTES, deps.logChunkMaxAgeMs),
      step,
      outputProduced: (path) => deps.previews.offer(task.uuid, path),
      subprocess: deps.subprocess,
    };

    for (const cmd of task.commands) {
      if (signal.aborted) break;
      log("info", `task ${task.uuid}: running command ${cmd.name}`);
      try {
        await runCommand(cmd, ctx);
      } catch (err) {
        if (signal.aborted || err instanceof CommandCancelled) break;
        const message = err instanceof Error ? err.message : String(err);
        log("warn", `task ${task.uuid}: command ${cmd.name} failed: ${message}`);
        await report({ activity: `Failed: ${message}`, log: `Failed: ${message}`, taskStatus: "failed" });
        return { kind: "failed", message };
      }
      if (!(cmd.total_step_count > 0)) step();
    }
    const asAborted = (): TaskOutcome | null => (stopped.why ? { kind: "aborted", ...stopped.why } : null);
    const abortedBeforeEnd = asAborted();
    if (abortedBeforeEnd) return abortedBeforeEnd;
    await report({ activity: "Completed", taskStatus: "completed" });
    // A refusal of "Completed" (task reassigned meanwhile) also counts as stopped from outside.
    return asAborted() ?? { kind: "completed" };
  } finally {
    finished.abort();
    shutdown.removeEventListener("abort", onShutdown);
    await watchdog;
  }
}

/** Every period: may I keep running? An error or odd answer means yes (the Manager may be away). */
async function mayIRunWatchdog(
  taskId: string,
  api: ManagerApi,
  periodMs: number,
  stop: AbortSignal,
  abort: (reason: string, statusChangeRequested: boolean) => void,
): Promise<void> {
  while (await sleepUnlessAborted(periodMs, stop)) {
    try {
      const { data } = await api.GET("/api/v3/worker/task/{task_id}/may-i-run", {
        params: { path: { task_id: taskId } },
        signal: stop,
      });
      if (data && !data.mayKeepRunning) {
        abort(data.reason || "the Manager said no", data.statusChangeRequested);
        return;
      }
    } catch {
      // Unreachable Manager: keep running; the updates are queued meanwhile.
    }
  }
}
