// Failing a task whose worker stopped touching it. A hard failure
// without failure-list or blocklist bookkeeping; unlike Flamenco, the activity is saved.
import type { Db } from "../db/connection";
import { requireJob } from "../db/queries/jobs";
import { setTaskActivity } from "../db/queries/tasks";
import type { TaskRow, WorkerRow } from "../db/schema";
import type { Emit } from "../events/broker";
import type { StateMachineDeps } from "./deps";
import { timedOutActivity, timedOutLine } from "./messages";
import type { TaskStateMachine } from "./task-state";

export interface TaskTimeout {
  /** `worker` is the task's assigned worker, or null when it has none. Returns the saved task. */
  timeOutTask(tx: Db, emit: Emit, task: TaskRow, worker: Pick<WorkerRow, "name" | "uuid"> | null): TaskRow;
}

export function createTaskTimeout(
  deps: Pick<StateMachineDeps, "clock" | "taskLogs">,
  taskMachine: TaskStateMachine,
): TaskTimeout {
  const { clock, taskLogs } = deps;
  return {
    timeOutTask(tx, emit, task, worker) {
      const job = requireJob(tx, task.jobId);
      const reason = timedOutActivity(worker);
      const withActivity = setTaskActivity(tx, task.id, reason, clock.now());
      if (!withActivity) throw new Error(`task ${task.uuid} does not exist`);
      const failed = taskMachine.taskStatusChange(tx, emit, withActivity, "failed", {
        job,
        failureReason: reason,
      });
      taskLogs.appendManagerLine(job.uuid, task.uuid, timedOutLine(worker, task.lastTouchedAt));
      return failed;
    },
  };
}
