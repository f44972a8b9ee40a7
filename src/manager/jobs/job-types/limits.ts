// Time and size limits of the job-type scripting engine, in one place.

/** Budget for one script evaluation (top-level run + JOB_TYPE, or a whole compileJob call). */
export const SCRIPT_TIMEOUT_MS = 5000;

/**
 * Extra time the main thread grants past the budget before it kills the worker thread. The
 * in-worker `node:vm` timeout normally answers first; the watchdog catches what it cannot
 * interrupt (long native calls).
 */
export const WATCHDOG_GRACE_MS = 250;

/** One `print`/`alert` line is cut to this length before it reaches the Manager log. */
export const MAX_SCRIPT_LOG_CHARS = 2000;

/** A frame range may expand to at most this many frames (Flamenco has no bound and can exhaust memory). */
export const MAX_FRAMES_PER_RANGE = 1_000_000;
