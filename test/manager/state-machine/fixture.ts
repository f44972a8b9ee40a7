// A state machine on a test farm (test/support/builders.ts: fresh in-memory database, builders,
// fake clock, recorded events), with recorders for the task-log lines it writes and the warnings
// it logs.
import type { Tx } from "../../../src/manager/db/connection";
import type { JobRow, TaskRow } from "../../../src/manager/db/schema";
import { inTransaction } from "../../../src/manager/db/transaction";
import { emitAfterCommit, type Emit } from "../../../src/manager/events/broker";
import { createStateMachine, type FailureThresholds } from "../../../src/manager/state-machine/state-machine";
import { createTestFarm, DEFAULT_THRESHOLDS } from "../../support/builders";

export interface LogLine {
  jobUUID: string;
  taskUUID: string;
  line: string;
}

export function createFixture(thresholds: FailureThresholds = DEFAULT_THRESHOLDS) {
  const farm = createTestFarm();
  const { db, sqlite, clock, broker } = farm;
  const lines: LogLine[] = [];
  const warnings: string[] = [];
  const sm = createStateMachine({
    db,
    broker,
    clock,
    taskLogs: { appendManagerLine: (jobUUID, taskUUID, line) => lines.push({ jobUUID, taskUUID, line }) },
    log: (msg) => warnings.push(msg),
    thresholds: () => thresholds,
  });

  return {
    ...farm,
    sm,
    lines,
    warnings,
    thresholds,

    /** Runs `fn` as one change; its events reach the broker after the commit. */
    run<T>(fn: (tx: Tx, emit: Emit) => T): T {
      return inTransaction(db, (tx) => fn(tx, emitAfterCommit(broker, tx)));
    },

    jobEvents: () => farm.eventsOf("/jobs"),
    taskEvents: () => farm.eventsOf("/task"),

    linesOf(task: TaskRow): string[] {
      return lines.filter((l) => l.taskUUID === task.uuid).map((l) => l.line);
    },

    /** Makes every UPDATE of this job fail inside SQLite, the way a broken disk would. */
    breakJobSaves(job: JobRow): void {
      sqlite.exec(
        `CREATE TRIGGER break_job_${job.id} BEFORE UPDATE ON jobs WHEN OLD.id = ${job.id} ` +
          `BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
      );
    },
  };
}

export type Fixture = ReturnType<typeof createFixture>;
