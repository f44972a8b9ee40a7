// Start-up repair (state-machines.md §4.4): jobs left in a transitional status by a crash are
// re-enforced, each in its own transaction, so one broken job does not keep the others stuck.
import { asc, inArray } from "drizzle-orm";
import { jobs } from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { Db } from "../db/types";
import type { EventBroker } from "../events/broker";
import type { StateMachineDeps } from "./deps";
import type { JobStateMachine } from "./job-state";
import { STUCK_JOB_REASON } from "./messages";
import { STUCK_JOB } from "./statuses";

export interface StuckJobRepair {
  /** Run before the web server and background services start. Returns how many jobs it repaired. */
  repairStuckJobs(db: Db, broker: EventBroker): number;
}

export function createStuckJobRepair(
  deps: Pick<StateMachineDeps, "log">,
  jobMachine: JobStateMachine,
): StuckJobRepair {
  return {
    repairStuckJobs(db, broker) {
      const stuck = db
        .select()
        .from(jobs)
        .where(inArray(jobs.status, [...STUCK_JOB]))
        .orderBy(asc(jobs.id))
        .all();
      let repaired = 0;
      for (const job of stuck) {
        try {
          inTransaction(db, broker, (tx, emit) =>
            jobMachine.reenforceJobStatus(tx, emit, job, STUCK_JOB_REASON),
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
