// Start-up repair: jobs left in a transitional status by a crash are re-enforced, each in its
// own transaction, so one broken job does not keep the others stuck. A job still under
// construction is a submission the crash cut short (its tasks are stored in slices, and its
// client never heard of it): it is marked for deletion, and the job deleter removes it.
import { markJobForDeletion } from "../db/queries/job-deletion";
import { jobsWithStatus } from "../db/queries/job-tasks";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit } from "../events/broker";
import { jobUpdate } from "../events/payloads";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import { STUCK_JOB_REASON } from "./messages";
import { STUCK_JOB } from "./statuses";

export interface StuckJobRepair {
  /** Run before the web server and background services start. Returns how many jobs it repaired. */
  repairStuckJobs(): number;
}

export function createStuckJobRepair(
  deps: Pick<StateMachineDeps, "db" | "broker" | "log" | "clock">,
  jobMachine: JobStateMachine,
): StuckJobRepair {
  const { db, broker } = deps;
  return {
    repairStuckJobs() {
      let repaired = 0;
      for (const job of jobsWithStatus(db, ["under-construction"])) {
        if (job.deleteRequestedAt) continue;
        inTransaction(db, (tx) =>
          emitAfterCommit(broker, tx)(jobUpdate(markJobForDeletion(tx, job.id, deps.clock.now()))),
        );
        repaired++;
      }
      for (const job of jobsWithStatus(db, STUCK_JOB)) {
        try {
          inTransaction(db, (tx) =>
            jobMachine.reenforceJobStatus(tx, emitAfterCommit(broker, tx), job, STUCK_JOB_REASON),
          );
          repaired++;
        } catch (err) {
          deps.log(`error getting job ${job.uuid} un-stuck from "${job.status}": ${(err as Error).message}`);
        }
      }
      return repaired;
    },
  };
}
