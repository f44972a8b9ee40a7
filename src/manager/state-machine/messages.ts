// Every text the state machines write: task/job activities, task-log lines and job-change
// reasons, as Flamenco writes them (docs/state-machines.md quotes them), except the failure
// reasons, which are Tablao's own. Wire strings; change none lightly.

/** Go's %q for the values that occur here (status names, task types). */
const quoted = (s: string) => JSON.stringify(s);
const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

export const taskChangedStatusLine = (oldStatus: string, newStatus: string) =>
  `task changed status ${oldStatus} -> ${newStatus}`;

export const jobChangedActivity = (status: string, reason: string) =>
  `Changed to status ${quoted(status)}: ${reason}`;
export const jobReenforcedActivity = (status: string, reason: string) =>
  `Reenforcing status ${quoted(status)}: ${reason}`;

export const bulkCanceledActivity = (jobStatus: string) =>
  `Manager cancelled this task because the job got status ${quoted(jobStatus)}.`;
export const bulkPausedActivity = (jobStatus: string) =>
  `Manager paused this task because the job got status ${quoted(jobStatus)}.`;
export const bulkRequeuedActivity = (oldJobStatus: string, newJobStatus: string) =>
  `Queued because job transitioned status from ${quoted(oldJobStatus)} to ${quoted(newJobStatus)}`;

/** Reasons a task's status change gives for the job change it causes. */
export const jobReasons = {
  taskQueued: "task was queued",
  lastTaskPaused: "last task got paused",
  lastRunnableCanceled: "canceled task was last runnable task of job, canceling job",
  pausedAfterCancel: "no more active tasks after task cancellation",
  tooManyFailed: "too many tasks failed",
  pausedAfterFailure: "no more active tasks after task failure",
  failedNotEnough: "task failed, but not enough to fail the job",
  taskBecame: (taskStatus: string) => `task became ${taskStatus}`,
  allCompleted: "all tasks completed",
  pausedAfterCompletion: "no more active tasks after task completion",
  // Flamenco's (misleading) text for "a queued job had a task completed".
  moreToDo: "no more tasks to do",
} as const;

/** What the worker said when it failed the task; workers may send no activity at all. */
const lastWords = (activity: string) => activity.trim() || "no reason given";

/**
 * Why a task failed for good, and with it maybe its job. One text, written as the task's activity,
 * as a line in its log and as the reason of the job's change, so all three tell the same story.
 */
export const failureReasons = {
  failedTooOften: (task: { name: string; activity: string }, numFailed: number, worker: { name: string }) =>
    `task ${quoted(task.name)} failed on ${numFailed} ${plural(numFailed, "worker")}, last on ${worker.name}: ${lastWords(task.activity)}`,
  noWorkersLeft: (task: { name: string; type: string; activity: string }, worker: { name: string }) =>
    `no workers left that may run ${quoted(task.type)} tasks of this job (the others are blocklisted or failed this task); ` +
    `task ${quoted(task.name)} last failed on ${worker.name}: ${lastWords(task.activity)}`,
} as const;

export const STUCK_JOB_REASON = "checking stuck jobs";

export const returnedToPoolActivity = (target: string, reason: string) =>
  `Task was ${target} by Manager because ${reason}`;

export const workerIdent = (w: { name: string; uuid: string }) => `${w.name} (${w.uuid})`;

/** Why a worker's active tasks go back to the pool, per trigger. */
export const requeueReasons = {
  signedOff: "worker signed off",
  changedStatus: (worker: { name: string; uuid: string }, status: string) =>
    `worker ${workerIdent(worker)} changed status to '${status}'`,
  deleted: "worker is being deleted",
  timedOut: "worker timed out",
} as const;

export const blockedFromTypeReason = (workerName: string, taskType: string) =>
  `worker ${workerName} was blocked from tasks of type ${quoted(taskType)}`;

export const softFailLine = (numFailed: number, threshold: number) => {
  const more = threshold - numFailed;
  return (
    `Task failed by ${numFailed} ${plural(numFailed, "worker")}, Manager will mark it as soft failure. ` +
    `${more} more ${plural(more, "failure")} will cause hard failure.`
  );
};

const UNASSIGNED = "-unassigned-";
/** RFC 3339 without fractional seconds, as Go's time.RFC3339 prints it. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export const timedOutActivity = (worker: { name: string; uuid: string } | null) =>
  `Task timed out on worker ${worker ? workerIdent(worker) : UNASSIGNED}`;
export const timedOutLine = (worker: { name: string; uuid: string } | null, lastTouchedAt: Date | null) =>
  `Task timed out. It was assigned to worker ${worker ? workerIdent(worker) : UNASSIGNED}, ` +
  `but untouched since ${lastTouchedAt ? rfc3339(lastTouchedAt) : "forever"}`;

/** Why a worker must stop running a task (the may-i-run answer). */
export const stopReasons = {
  taskNotFound: "Task not found",
  statusChangeRequested: "worker status change requested",
  notAssigned: "task not assigned to this worker",
  nonRunnable: (taskStatus: string) => `task is in non-runnable status ${quoted(taskStatus)}`,
} as const;
