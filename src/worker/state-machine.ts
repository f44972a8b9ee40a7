// The worker's state machine: awake runs the task loop, asleep polls the
// Manager for a new status, offline and restart end the process. It recovers by signing on again
// when the Manager no longer has it awake (409, e.g. after a worker timeout put it in `error`) or
// rejects its credentials (403).
import type { Logger } from "../shared/log";
import type { AssignedTask, ManagerApi, WorkerStatus } from "./client";
import { errorText } from "./client";
import { LONG_POLL_HEADER } from "../shared/long-poll";
import { LONG_POLL_WAIT_S, type WorkerTimings } from "./constants";
import type { TaskOutcome } from "./task-runner";
import type { FlushResult } from "./upstream";
import { Backoff, jitter, sleepUnlessAborted } from "./wait";

export type ExitReason = "shutdown" | "offline" | "restart";

export interface StateMachineDeps {
  api: ManagerApi;
  upstream: { flush(): Promise<FlushResult> };
  /** Runs one task to its end (task-runner.ts, with its dependencies bound). */
  runTask(task: AssignedTask, shutdown: AbortSignal): Promise<TaskOutcome>;
  /** Signs on again (registering anew if the credentials are rejected); null on shutdown. */
  signOnAgain(shutdown: AbortSignal): Promise<WorkerStatus | null>;
  timings: WorkerTimings;
  /**
   * Poll for tasks exactly as Flamenco's worker does: no long-poll, and the pause after every
   * task (for comparisons; see PAUSE_AFTER_TASK_MS).
   */
  flamencoPolling?: boolean;
  log: Logger;
  random?: () => number;
}

/** What the awake or asleep loop hands back: the next status, or null on shutdown. */
type Next = WorkerStatus | null;

export class WorkerStateMachine {
  /** The state the worker is in; `starting` until the first state is entered. */
  state: WorkerStatus = "starting";

  constructor(private readonly deps: StateMachineDeps) {}

  /** Enters `initial` and follows the Manager's requests until shutdown, offline or restart. */
  async run(initial: WorkerStatus, shutdown: AbortSignal): Promise<ExitReason> {
    let next: Next = initial;
    while (next !== null && !shutdown.aborted) {
      switch (next) {
        case "offline":
        case "restart":
          // No acknowledgement: signing off at shutdown tells the Manager.
          this.enter(next);
          return next;
        case "awake":
          this.enter("awake");
          await this.acknowledge("awake");
          next = await this.awakeLoop(shutdown);
          break;
        default:
          if (next !== "asleep")
            this.deps.log("warn", `the Manager asked for status ${next}; going to sleep instead`);
          this.enter("asleep");
          await this.acknowledge("asleep");
          next = await this.asleepLoop(shutdown);
      }
    }
    return "shutdown";
  }

  private enter(status: WorkerStatus): void {
    if (this.state !== status) this.deps.log("info", `worker is now ${status}`);
    this.state = status;
  }

  /** Tells the Manager the new state; a failure is only logged (a 409 later makes up for it). */
  private async acknowledge(status: WorkerStatus): Promise<void> {
    try {
      const { error, response } = await this.deps.api.POST("/api/v3/worker/state-changed", {
        body: { status },
      });
      if (!response.ok)
        this.deps.log("warn", `Manager did not take status ${status}: ${errorText(error, response)}`);
    } catch (err) {
      this.deps.log("warn", `could not tell the Manager we are ${status}: ${(err as Error).message}`);
    }
  }

  private async awakeLoop(shutdown: AbortSignal): Promise<Next> {
    const { api, upstream, timings, log } = this.deps;
    const random = this.deps.random ?? Math.random;
    const errorBackoff = new Backoff(timings.fetchErrorWaitMs, timings.fetchErrorWaitMaxMs);
    const flamencoPolling = this.deps.flamencoPolling ?? false;
    // Sent to any Manager: one without the extension ignores it and answers at once, without the header.
    const query = flamencoPolling ? {} : { wait: LONG_POLL_WAIT_S };
    let wait = jitter(timings.fetchFirstWaitMs, random);
    for (;;) {
      if (!(await sleepUnlessAborted(wait, shutdown))) return null;

      // Updates of earlier tasks go first: until the Manager has heard that a task completed,
      // it would hand the same task back.
      const flushed = await upstream.flush();
      if (flushed === "unauthorized") return this.deps.signOnAgain(shutdown);
      if (flushed === "unreachable") {
        wait = jitter(errorBackoff.failed(), random);
        log(
          "info",
          `Manager unreachable with task updates queued; trying again in ${(wait / 1000).toFixed(1)} s`,
        );
        continue;
      }

      let result;
      try {
        result = await api.POST("/api/v3/worker/task", { params: { query }, signal: shutdown });
      } catch (err) {
        if (shutdown.aborted) return null;
        wait = jitter(errorBackoff.failed(), random);
        log(
          "warn",
          `cannot reach the Manager for a task (${(err as Error).message}); trying again in ${(wait / 1000).toFixed(1)} s`,
        );
        continue;
      }
      const { data, error, response } = result;
      switch (response.status) {
        case 200: {
          errorBackoff.reset();
          const task = data as AssignedTask;
          log("info", `running task ${task.uuid} (${task.name}) of job ${task.job}`);
          const outcome = await this.deps.runTask(task, shutdown);
          logOutcome(task, outcome, log);
          if (shutdown.aborted) return null;
          // After a status change request, ask right away: the answer is the new status (423).
          // After a completed task too: its update is delivered before the next poll (see
          // PAUSE_AFTER_TASK_MS for why Flamenco waits here).
          wait =
            (outcome.kind === "completed" && !flamencoPolling) ||
            (outcome.kind === "aborted" && outcome.statusChangeRequested)
              ? 0
              : timings.pauseAfterTaskMs + jitter(timings.fetchFirstWaitMs, random);
          break;
        }
        case 204:
          errorBackoff.reset();
          // A Manager that held the poll until now is asked again at once; one that did not wait
          // (no extension, or too many waiting) is polled as Flamenco does.
          wait =
            Number(response.headers.get(LONG_POLL_HEADER) ?? 0) > 0
              ? 0
              : jitter(timings.fetchNoTaskWaitMs, random);
          break;
        case 423: {
          const requested = (error as { status_requested?: WorkerStatus } | undefined)?.status_requested;
          if (requested) return requested;
          wait = jitter(errorBackoff.failed(), random);
          break;
        }
        case 403:
          log("warn", `the Manager denied access (${errorText(error, response)}); signing on again`);
          return this.deps.signOnAgain(shutdown);
        case 409:
          log(
            "warn",
            `the Manager does not have this worker awake (${errorText(error, response)}); signing on again`,
          );
          return this.deps.signOnAgain(shutdown);
        default:
          wait = jitter(errorBackoff.failed(), random);
          log(
            "warn",
            `Manager could not give a task (${errorText(error, response)}); trying again in ${(wait / 1000).toFixed(1)} s`,
          );
      }
    }
  }

  private async asleepLoop(shutdown: AbortSignal): Promise<Next> {
    const { api, timings, log } = this.deps;
    for (;;) {
      if (!(await sleepUnlessAborted(timings.asleepPollMs, shutdown))) return null;
      try {
        const { data, error, response } = await api.GET("/api/v3/worker/state", { signal: shutdown });
        if (response.status === 200 && data) return data.status_requested;
        if (response.status === 403) {
          log("warn", `the Manager denied access (${errorText(error, response)}); signing on again`);
          return this.deps.signOnAgain(shutdown);
        }
      } catch (err) {
        if (shutdown.aborted) return null;
        log("debug", `cannot reach the Manager for our state: ${(err as Error).message}`);
      }
    }
  }
}

function logOutcome(task: AssignedTask, outcome: TaskOutcome, log: Logger): void {
  switch (outcome.kind) {
    case "completed":
      log("info", `task ${task.uuid} completed`);
      break;
    case "failed":
      log("warn", `task ${task.uuid} failed: ${outcome.message}`);
      break;
    case "aborted":
      log("info", `task ${task.uuid} stopped: ${outcome.reason}`);
      break;
    case "not-run":
      log("warn", `task ${task.uuid} not run: ${outcome.reason}`);
      break;
  }
}
