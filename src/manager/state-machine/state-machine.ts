// The task and job state machines as one service: every change of tasks.status and
// jobs.status goes through here. Operations take a transaction and an emit callback
// (wrap them in inTransaction) so a whole cascade commits at once and events follow the commit.
import type { StateMachineDeps } from "./deps";
import { createFailureHandling, type FailureHandling } from "./failures";
import { createHumanStatusChanges, type HumanStatusChanges } from "./human-status";
import { createJobStateMachine, type JobStateMachine } from "./job-state";
import { createWorkerRequeue, type WorkerRequeue } from "./requeue";
import { createStuckJobRepair, type StuckJobRepair } from "./stuck-jobs";
import { createTaskStateMachine, type TaskStateMachine } from "./task-state";
import { createTaskTimeout, type TaskTimeout } from "./task-timeout";

export type { FailureThresholds, StateMachineDeps, TaskLogSink } from "./deps";

export interface StateMachine
  extends
    TaskStateMachine,
    Pick<JobStateMachine, "jobStatusChange">,
    FailureHandling,
    WorkerRequeue,
    TaskTimeout,
    HumanStatusChanges,
    StuckJobRepair {}

export function createStateMachine(deps: StateMachineDeps): StateMachine {
  const job = createJobStateMachine(deps);
  const task = createTaskStateMachine(deps, job);
  const requeue = createWorkerRequeue(deps, task);
  return {
    ...task,
    jobStatusChange: (...args) => job.jobStatusChange(...args),
    ...createFailureHandling(deps, { task, job, requeue }),
    ...requeue,
    ...createTaskTimeout(deps, task),
    ...createHumanStatusChanges(deps, { task, job }),
    ...createStuckJobRepair(deps, job),
  };
}
