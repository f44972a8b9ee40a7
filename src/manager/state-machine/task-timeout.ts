// Failing a task whose worker stopped touching it (state-machines.md §5.6). A hard failure
// without failure-list or blocklist bookkeeping; unlike Flamenco, the activity is saved.
import { eq } from "drizzle-orm";
import { tasks, type TaskRow, type WorkerRow } from "../db/schema";
import { requireJob } from "../db/rows";
import type { Emit } from "../db/transaction";
import type { DbOrTx } from "../db/types";
import type { StateMachineDeps } from "./deps";
import { timedOutActivity, timedOutLine } from "./messages";
import type { TaskStateMachine } from "./task-state";

export interface TaskTimeout {
  /** `worker` is the task's assigned worker, or null when it has none. Returns the saved task. */
  timeOutTask(
    tx: DbOrTx,
    emit: Emit,
    task: TaskRow,
    worker: Pick<WorkerRow, "name" | "uuid"> | null,
  ): TaskRow;
}

export function createTaskTimeout(
  deps: Pick<StateMachineDeps, "clock" | "taskLogs">,
  taskMachine: TaskStateMachine,
): TaskTimeout {
  const { clock, taskLogs } = deps;
  return {
    timeOutTask(tx, emit, task, worker) {
      const job = requireJob(tx, task.jobId);
      const withActivity = tx
        .update(tasks)
        .set({ activity: timedOutActivity(worker), updatedAt: clock.now() })
        .where(eq(tasks.id, task.id))
        .returning()
        .get();
      if (!withActivity) throw new Error(`task ${task.uuid} does not exist`);
      const failed = taskMachine.taskStatusChange(tx, emit, withActivity, "failed");
      taskLogs.appendManagerLine(job.uuid, task.uuid, timedOutLine(worker, task.lastTouchedAt));
      return failed;
    },
  };
}
