// Warnings about a failing task-log disk, without flooding the Manager's log: a full or
// read-only disk fails every write of every task (workers' updates and the Manager's retries
// alike), so the first failure is warned about at once, the rest at most once a minute with
// their count, and the recovery once writing works again.
import type { Clock } from "../../shared/clock";

/** Failed writes are warned about at most this often; the rest are counted in the next warning. */
export const TASK_LOG_WARNING_INTERVAL_MS = 60_000;

export interface DiskTroubleReporter {
  /** A write failed; `msg` names the file and the error. */
  failed(msg: string): void;
  /** A write worked; `stillFailing` when other files still wait for a retry. */
  succeeded(stillFailing: boolean): void;
}

export function createDiskTroubleReporter(clock: Clock, warn: (msg: string) => void): DiskTroubleReporter {
  /** A write failed, and writing has not been seen to work again since. */
  let failing = false;
  let lastWarningAt = Number.NEGATIVE_INFINITY;
  let unwarned = 0;

  return {
    failed(msg) {
      failing = true;
      const now = clock.now().getTime();
      if (now - lastWarningAt < TASK_LOG_WARNING_INTERVAL_MS) {
        unwarned++;
        return;
      }
      warn(unwarned > 0 ? `${msg} (${unwarned} more failed write(s) before this one)` : msg);
      lastWarningAt = now;
      unwarned = 0;
    },
    succeeded(stillFailing) {
      if (!failing || stillFailing) return;
      warn(
        `task logs: writing works again${unwarned > 0 ? `; ${unwarned} more write(s) had failed meanwhile` : ""}`,
      );
      failing = false;
      lastWarningAt = Number.NEGATIVE_INFINITY;
      unwarned = 0;
    },
  };
}
