// Every timing constant and limit of the worker, in one place (docs/worker-protocol.md sums
// them up). The intervals a worker waits between calls are grouped in WorkerTimings so tests and
// demos can scale them.

/** Sign-on retry while the Manager is unreachable (Flamenco: 5 s fixed, forever). */
export const SIGN_ON_RETRY_MS = 5_000;
/** Longest wait between sign-on / registration attempts once back-off has grown. */
export const SIGN_ON_RETRY_MAX_MS = 30_000;
/** First wait of a task-fetch cycle; also staggers workers started together. */
export const FETCH_FIRST_WAIT_MS = 3_000;
/** Wait after the Manager had no task (204). */
export const FETCH_NO_TASK_WAIT_MS = 20_000;
/**
 * First wait after an error answer or an unreachable Manager; doubles up to the maximum.
 * Flamenco waits a fixed 60 s, which can exceed the Manager's default 60 s worker timeout.
 */
export const FETCH_ERROR_WAIT_MS = 3_000;
export const FETCH_ERROR_WAIT_MAX_MS = 45_000;
/** Waits are spread by ± this fraction, so a farm does not poll in lockstep. */
export const POLL_JITTER_FRACTION = 0.1;
/**
 * Pause after a task that did not complete (failed, aborted, not run) before fetching the next,
 * so a worker that fails everything does not empty the queue at full speed. Flamenco pauses
 * after every task, as rate limiting and because its updates travel separately from the task
 * loop, so an immediate poll could be handed the same task again before the Manager heard it
 * completed. This worker delivers its queued updates before every poll, so after a completed
 * task it asks for the next one at once.
 */
export const PAUSE_AFTER_TASK_MS = 2_000;
/**
 * How long a poll asks the Manager to hold it while there is no task (the `wait` extension of
 * scheduleTask); the Manager may hold it for less. Below HTTP_REQUEST_TIMEOUT_MS.
 */
export const LONG_POLL_WAIT_S = 25;
/** How often a running task asks may-i-run (first check one period after the start). */
export const MAY_I_RUN_PERIOD_MS = 10_000;
/** How often an asleep worker asks for its state (Flamenco's code; its docs say 30 s). */
export const ASLEEP_POLL_MS = 3_000;

/** A log chunk is sent when it grows past this many bytes... */
export const LOG_CHUNK_MAX_BYTES = 10_240;
/** ...or when its oldest unsent line is this old (checked on a timer, not only on output). */
export const LOG_CHUNK_MAX_AGE_MS = 30_000;
/** Longer output lines are split into pieces of at most this many bytes. */
export const OUTPUT_LINE_MAX_BYTES = 40_960;

/** Queued task updates are retried this soon after a failed delivery... */
export const UPSTREAM_RETRY_MIN_MS = 1_000;
/** ...doubling up to Flamenco's periodic flush interval. */
export const UPSTREAM_FLUSH_PERIOD_MS = 30_000;
/** At shutdown, queued updates get this long to reach the Manager. */
export const SHUTDOWN_FLUSH_BUDGET_MS = 5_000;
/** SQLite busy timeout of the update queue database. */
export const QUEUE_DB_BUSY_TIMEOUT_MS = 5_000;

/** Preview images are re-encoded as JPEG at this quality... */
export const PREVIEW_JPEG_QUALITY = 85;
/** ...and scaled down to fit this box: the Manager's largest thumbnail, so nothing is lost. */
export const PREVIEW_MAX_WIDTH_PX = 1920;
export const PREVIEW_MAX_HEIGHT_PX = 1080;
/** After the Manager refused a preview as too busy (429), wait this long before the next one. */
export const PREVIEW_BUSY_BACKOFF_MS = 1_000;

/** Limit of the sign-off call at shutdown. */
export const SIGN_OFF_TIMEOUT_MS = 3_000;
/** A shutdown taking longer than this ends the process anyway. */
export const SHUTDOWN_WATCHDOG_MS = 20_000;
/** Exit code when the shutdown watchdog fires (Go's -2 on POSIX). */
export const SHUTDOWN_WATCHDOG_EXIT_CODE = 254;
/** Limit of every HTTP call to the Manager (Flamenco has none, so one hung call stalls it). */
export const HTTP_REQUEST_TIMEOUT_MS = 60_000;

/** A cancelled child process group gets SIGTERM, then SIGKILL after this grace period. */
export const KILL_GRACE_MS = 5_000;
/** Start-up probes of the Blender and FFmpeg executables. */
export const BLENDER_PROBE_TIMEOUT_MS = 10_000;
export const FFMPEG_PROBE_TIMEOUT_MS = 5_000;

/** The waits of the worker's loops; limits and budgets above are not part of it. */
export interface WorkerTimings {
  signOnRetryMs: number;
  signOnRetryMaxMs: number;
  fetchFirstWaitMs: number;
  fetchNoTaskWaitMs: number;
  fetchErrorWaitMs: number;
  fetchErrorWaitMaxMs: number;
  pauseAfterTaskMs: number;
  mayIRunPeriodMs: number;
  asleepPollMs: number;
  logChunkMaxAgeMs: number;
  upstreamRetryMinMs: number;
  upstreamRetryMaxMs: number;
  previewBusyBackoffMs: number;
}

export const DEFAULT_TIMINGS: Readonly<WorkerTimings> = {
  signOnRetryMs: SIGN_ON_RETRY_MS,
  signOnRetryMaxMs: SIGN_ON_RETRY_MAX_MS,
  fetchFirstWaitMs: FETCH_FIRST_WAIT_MS,
  fetchNoTaskWaitMs: FETCH_NO_TASK_WAIT_MS,
  fetchErrorWaitMs: FETCH_ERROR_WAIT_MS,
  fetchErrorWaitMaxMs: FETCH_ERROR_WAIT_MAX_MS,
  pauseAfterTaskMs: PAUSE_AFTER_TASK_MS,
  mayIRunPeriodMs: MAY_I_RUN_PERIOD_MS,
  asleepPollMs: ASLEEP_POLL_MS,
  logChunkMaxAgeMs: LOG_CHUNK_MAX_AGE_MS,
  upstreamRetryMinMs: UPSTREAM_RETRY_MIN_MS,
  upstreamRetryMaxMs: UPSTREAM_FLUSH_PERIOD_MS,
  previewBusyBackoffMs: PREVIEW_BUSY_BACKOFF_MS,
};

/** All waits multiplied by `factor` (e.g. 0.1 for a ten times faster farm in tests). */
export function scaleTimings(factor: number, base: Readonly<WorkerTimings> = DEFAULT_TIMINGS): WorkerTimings {
  if (!Number.isFinite(factor) || factor <= 0)
    throw new Error(`time scale must be a positive number, not ${factor}`);
  const scaled = { ...base };
  for (const key of Object.keys(scaled) as (keyof WorkerTimings)[]) {
    scaled[key] = Math.max(1, Math.round(base[key] * factor));
  }
  return scaled;
}
