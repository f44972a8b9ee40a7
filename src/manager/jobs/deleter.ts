// Job deletion: marking jobs (single and mass), and the background deleter that removes a
// marked job's files and row. A job whose files cannot be removed stays marked and is retried.
import { rm, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import {
  jobsMarkedForDeletion,
  markJobForDeletion,
  markJobsUpdatedAtOrBeforeForDeletion,
} from "../db/queries/job-deletion";
import { jobByUUID } from "../db/queries/jobs";
import { inTransaction } from "../db/transaction";
import { ApiError, notFound } from "../errors";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { jobDeleted, jobUpdate } from "../events/payloads";
import { removeJobInSlices } from "./slices";

const DELETER_QUEUE_CAPACITY = 100;
const DELETER_RESCAN_INTERVAL_MS = 60_000;

export interface JobDeleterDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  /** The Manager-local folder of a job: task logs, last-rendered images. */
  jobStorageDir: (jobUUID: string) => string;
  /** Drops task-log text still queued under a folder, so no late write re-creates it. */
  discardTaskLogs: (dir: string) => Promise<void>;
  /** Removes a job's Shaman checkout; absent while Shaman does not run. */
  removeShamanCheckout?: (checkoutId: string) => Promise<void>;
  warn: (msg: string) => void;
}

export type JobDeleter = ReturnType<typeof createJobDeleter>;

export function createJobDeleter(deps: JobDeleterDeps) {
  const { db, broker, clock } = deps;
  const queue: string[] = [];
  let timer: unknown = null;
  let running = false;
  let stopped = true;

  function schedule(ms: number) {
    if (stopped) return;
    if (timer !== null) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = null;
      void drain();
    }, ms);
  }

  function enqueue(uuid: string) {
    // A full queue is fine: the periodic scan finds every marked job anyway.
    if (queue.length < DELETER_QUEUE_CAPACITY && !queue.includes(uuid)) queue.push(uuid);
    schedule(0);
  }

  function scan() {
    for (const uuid of jobsMarkedForDeletion(db, DELETER_QUEUE_CAPACITY)) {
      if (!queue.includes(uuid)) queue.push(uuid);
    }
  }

  async function deleteOne(uuid: string) {
    const job = jobByUUID(db, uuid);
    if (!job || !job.deleteRequestedAt) return;
    // A checkout that cannot be removed keeps the job marked, to be tried again.
    if (deps.removeShamanCheckout && job.storageShamanCheckoutId)
      await deps.removeShamanCheckout(job.storageShamanCheckoutId);
    const dir = deps.jobStorageDir(uuid);
    await deps.discardTaskLogs(dir);
    await rm(dir, { recursive: true, force: true });
    await rmdir(dirname(dir)).catch(() => undefined); // only succeeds when the job-XXXX folder is empty
    // In slices: a job of many thousand tasks would hold the database for as long as its delete.
    await removeJobInSlices(db, job.id, (tx) => emitAfterCommit(broker, tx)(jobDeleted(job)));
  }

  async function drain() {
    if (running) return;
    running = true;
    try {
      if (queue.length === 0) scan();
      while (!stopped) {
        const uuid = queue.shift();
        if (uuid === undefined) break;
        try {
          await deleteOne(uuid);
        } catch (err) {
          deps.warn(`job deleter: could not delete job ${uuid}, will retry: ${String(err)}`);
        }
      }
    } finally {
      running = false;
    }
    schedule(DELETER_RESCAN_INTERVAL_MS);
  }

  return {
    start() {
      stopped = false;
      schedule(0);
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },

    requestDeletion(uuid: string): void {
      inTransaction(db, (tx) => {
        const emit = emitAfterCommit(broker, tx);
        const job = jobByUUID(tx, uuid);
        if (!job) throw notFound("no such job");
        emit(jobUpdate(markJobForDeletion(tx, job.id, clock.now())));
      });
      enqueue(uuid);
    },

    /** Marks every job last updated at or before the timestamp (rounded up to the whole second). */
    massDelete(lastUpdatedMax: Date): void {
      const cutoff = new Date(Math.ceil(lastUpdatedMax.getTime() / 1000) * 1000);
      const marked = inTransaction(db, (tx) => {
        const emit = emitAfterCommit(broker, tx);
        const saved = markJobsUpdatedAtOrBeforeForDeletion(tx, cutoff, clock.now());
        if (saved.length === 0) throw new ApiError(416, "no jobs modified before timestamp");
        for (const j of saved) emit(jobUpdate(j));
        return saved;
      });
      for (const j of marked) enqueue(j.uuid);
    },

    /** Whether deleting the job would also remove a Shaman checkout. */
    whatWouldDeleteDo(uuid: string) {
      const job = jobByUUID(db, uuid);
      if (!job) throw notFound("no such job");
      return {
        shaman_checkout: deps.removeShamanCheckout !== undefined && job.storageShamanCheckoutId !== "",
      };
    },
  };
}
