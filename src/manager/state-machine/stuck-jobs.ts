// Start-up repair: jobs left in a transitional status by a crash are re-enforced, each in its
// own transaction, so one broken job does not keep the others stuck.
import { jobsWithStatus } from "../db/queries/job-tasks";
import { inTransaction } from "../db/transaction";
import { emitAfterCommit } from "../events/broker";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import { STUCK_JOB_REASON } from "./messages";
import { STUCK_JOB } from "./statuses";

export interface StuckJobRepair {
  /** Run before the web server and background services start. Returns how many jobs it repaired. */
  repairStuckJobs(): number;
}

export function createStuckJobRepair(
  deps: Pick<StateMachineDeps, "db" | "broker" | "log">,
  jobMachine: JobStateMachine,
): StuckJobRepair {
  const { db, broker } = deps;
  return {
    repairStuckJobs() {
      let repaired = 0;
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
