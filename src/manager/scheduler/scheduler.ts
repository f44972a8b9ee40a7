// Task assignment (see docs/scheduler.md): hands a polling worker its next task in one write
// transaction, so with any number of concurrent polls each task goes to exactly one worker.
import type { Clock } from "../../shared/clock";
import type { TaskStatus, WorkerStatus } from "../../shared/statuses";
import { makeExpander, type Expander, type VariableContext } from "../config/variables";
import type { Db } from "../db/connection";
import { requireJob } from "../db/queries/jobs";
import { findActiveTaskOfWorker, findSchedulableTask } from "../db/queries/scheduler";
import { claimTask } from "../db/queries/tasks";
import { workerById } from "../db/queries/workers";
import type { TaskCommand, WorkerRow } from "../db/schema";
import { inSharedTransaction } from "../db/transaction";
import { conflict } from "../errors";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { workerUpdate } from "../events/payloads";
import { splitTaskTypes } from "../farm/registration";
import { markSeen } from "../farm/seen";
import type { TaskLogSink } from "../state-machine/deps";
import { workerIdent } from "../state-machine/messages";
import type { TaskStateMachine } from "../state-machine/task-state";

/** AssignedTask as the Worker receives it. */
export interface AssignedTask {
  uuid: string;
  job: string;
  name: string;
  status: TaskStatus;
  priority: number;
  job_priority: number;
  job_type: string;
  task_type: string;
  commands: { name: string; parameters: Record<string, unknown>; total_step_count: number }[];
  steps_completed: number;
  steps_total: number;
}

export type ScheduleResult =
  | { kind: "assigned"; task: AssignedTask }
  | { kind: "none" }
  /** The worker must first go to this status (answered with 423). */
  | { kind: "status-change-requested"; statusRequested: WorkerStatus };

export interface SchedulerDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  taskMachine: Pick<TaskStateMachine, "taskStatusChange">;
  taskLogs: TaskLogSink;
  /** The current variables (read at every assignment, so a configuration reload applies). */
  variables: () => VariableContext;
}

export const taskAssignedLine = (worker: Pick<WorkerRow, "name" | "uuid">) =>
  `Task assigned to worker ${workerIdent(worker)}`;

/**
 * Expands the top-level parameter values a worker reads as text: strings, and the string
 * elements of arrays. Numbers, booleans and nested objects are passed as they are.
 */
export function expandCommands(commands: TaskCommand[], expand: Expander): AssignedTask["commands"] {
  return commands.map((cmd) => ({
    name: cmd.name,
    total_step_count: cmd.total_step_count,
    parameters: Object.fromEntries(
      Object.entries(cmd.parameters ?? {}).map(([key, value]) => {
        if (typeof value === "string") return [key, expand(value)];
        if (Array.isArray(value)) {
          const items: unknown[] = value;
          return [key, items.map((v) => (typeof v === "string" ? expand(v) : v))];
        }
        return [key, value];
      }),
    ),
  }));
}

/**
 * Expanders per variable table and platform: building one is far more work than expanding a
 * task's few parameters. A configuration reload brings a new table, and so new expanders.
 */
function cachedExpanders() {
  const byTable = new WeakMap<VariableContext["variables"], Map<string, Expander>>();
  return (ctx: VariableContext, platform: string): Expander => {
    let byPlatform = byTable.get(ctx.variables);
    if (!byPlatform) {
      byPlatform = new Map();
      byTable.set(ctx.variables, byPlatform);
    }
    const key = `${ctx.platform}\0${platform}`;
    let expand = byPlatform.get(key);
    if (!expand) {
      expand = makeExpander(ctx, platform);
      byPlatform.set(key, expand);
    }
    return expand;
  };
}

export function createScheduler(deps: SchedulerDeps) {
  const { db, broker, clock } = deps;
  const expanderFor = cachedExpanders();

  /**
   * Everything, from reading the worker's current state to the status change, runs in one
   * BEGIN IMMEDIATE transaction without await points: the select+update cannot interleave with
   * another poll, neither inside this process nor with another connection. That is also why no
   * async lock (Flamenco's scheduler mutex) is needed here or in may-i-run. Resolves once the
   * assignment is committed: only then may the worker hear of its task.
   */
  async function scheduleTask(authenticated: WorkerRow): Promise<ScheduleResult> {
    const result = await inSharedTransaction(
      db,
      (tx): ScheduleResult | { kind: "not-awake"; status: string } => {
        const emit = emitAfterCommit(broker, tx);
        const now = clock.now();
        // The row read at authentication may predate a status request; decide on the current one.
        const worker = workerById(tx, authenticated.id);
        if (!worker) throw conflict("worker was deleted");
        markSeen(tx, worker, now);
        if (worker.statusRequested !== "") {
          return { kind: "status-change-requested", statusRequested: worker.statusRequested };
        }
        // Answered after the commit, so the worker is still marked as seen.
        if (worker.status !== "awake") return { kind: "not-awake", status: worker.status };

        const claimed =
          findActiveTaskOfWorker(tx, worker.id) ??
          findSchedulableTask(tx, { id: worker.id, taskTypes: splitTaskTypes(worker.supportedTaskTypes) });
        if (claimed === null) return { kind: "none" };

        claimTask(tx, claimed.id, worker.id, now);
        // The whole row: the status change takes it instead of reading it again.
        const job = requireJob(tx, claimed.jobId);
        deps.taskLogs.appendManagerLine(job.uuid, claimed.uuid, taskAssignedLine(worker));
        // Also for a re-handed active task: the event and the job's reaction still happen.
        const active = deps.taskMachine.taskStatusChange(tx, emit, claimed, "active", { job, worker });
        emit(workerUpdate(worker));

        const expand = expanderFor(deps.variables(), worker.platform);
        return {
          kind: "assigned",
          task: {
            uuid: active.uuid,
            job: job.uuid,
            name: active.name,
            status: active.status,
            priority: active.priority,
            job_priority: job.priority,
            job_type: job.jobType,
            task_type: active.type,
            commands: expandCommands(active.commands, expand),
            steps_completed: active.stepsCompleted,
            steps_total: active.stepsTotal,
          },
        };
      },
    );
    if (result.kind === "not-awake") {
      throw conflict(`worker is in state "${result.status}", must be "awake" to get a task`);
    }
    return result;
  }

  return { scheduleTask };
}

export type Scheduler = ReturnType<typeof createScheduler>;
