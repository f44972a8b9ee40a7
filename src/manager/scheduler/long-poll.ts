// Long-poll dispatch (see docs/scheduler.md#long-poll): Tablao's extension of scheduleTask. A
// worker that asks with `wait` and gets no task is held until an event says work may have
// appeared for it, then the scheduler is asked again on its behalf. Owns the waiters: one per
// worker, a map entry, a timer and a promise each; waiting holds no transaction and costs no
// CPU while nothing happens. Requests without `wait` (Flamenco's workers) never come here.
import type { Clock } from "../../shared/clock";
import type { TaskStatus } from "../../shared/statuses";
import type { Db } from "../db/connection";
import type { WorkerRow } from "../db/schema";
import type { EventBroker, PublishedEvent } from "../events/broker";
import { markSeen } from "../farm/seen";
import type { ScheduleResult, Scheduler } from "./scheduler";

/**
 * Longest hold of one request. Below the worker's HTTP timeout and the 60 s idle limit common
 * to reverse proxies; the worker timeout caps it further (see waitBoundMs).
 */
export const LONG_POLL_MAX_WAIT_MS = 25_000;
/** Beyond this many waiters a long-poll is answered at once, as a plain poll. */
export const LONG_POLL_MAX_WAITERS = 10_000;
/**
 * Waiters woken together when new work may exist. Each batch's scheduler calls share one commit;
 * the next batch starts once it is done, so a new job never sets off every idle worker at once.
 */
export const LONG_POLL_WAKE_BATCH_SIZE = 4;

/**
 * Task statuses whose event may make work runnable: a task back in the queue, and a completed
 * one whose dependants may now be free to run.
 */
const WAKING_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(["queued", "soft-failed", "completed"]);

export interface LongPollDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  scheduler: Pick<Scheduler, "scheduleTask">;
  /** `worker_timeout` in ms (0: none), read at every wait so a configuration change applies. */
  workerTimeoutMs: () => number;
  maxWaiters?: number;
}

export type LongPollOutcome =
  /**
   * `grantedMs`: how long the request could be held (0: answered as a plain poll; null: no
   * long-poll was asked for).
   */
  | { kind: "scheduled"; result: ScheduleResult; grantedMs: number | null }
  /** The Manager is shutting down. */
  | { kind: "closed" };

type Ending = { result: ScheduleResult } | { error: unknown } | { closed: true };

interface Waiter {
  worker: WorkerRow;
  done: boolean;
  end(how: Ending): void;
  /** The scheduler call running for this waiter, if any. */
  inFlight: Promise<void> | null;
  /** An event arrived during that call: ask once more before waiting again. */
  again: boolean;
}

const NONE: Ending = { result: { kind: "none" } };

export function createLongPoll(deps: LongPollDeps) {
  const { db, broker, clock, scheduler } = deps;
  const maxWaiters = deps.maxWaiters ?? LONG_POLL_MAX_WAITERS;
  /** By worker UUID (what events name); Map order is arrival order, so the longest waiting go first. */
  const waiters = new Map<string, Waiter>();
  let closed = false;
  let sweeping = false;
  let sweepAgain = false;

  /** The hold for a request asking `requestedMs`: at most half the worker timeout, so it never fires. */
  function waitBoundMs(requestedMs: number): number {
    const timeoutMs = deps.workerTimeoutMs();
    const bound = timeoutMs > 0 ? Math.min(LONG_POLL_MAX_WAIT_MS, timeoutMs / 2) : LONG_POLL_MAX_WAIT_MS;
    return Math.max(0, Math.min(requestedMs, bound));
  }

  /** Asks the scheduler for `w`; never two calls at once for one worker. Never rejects. */
  function attempt(w: Waiter): Promise<void> {
    if (w.done) return Promise.resolve();
    if (w.inFlight) {
      w.again = true;
      return w.inFlight;
    }
    const run = async () => {
      do {
        w.again = false;
        let result: ScheduleResult;
        try {
          result = await scheduler.scheduleTask(w.worker);
        } catch (error) {
          w.end({ error });
          return;
        }
        // A task assigned after the waiter ended (client gone) is handed back by the worker's next
        // poll, as after any lost answer.
        if (result.kind !== "none") {
          w.end({ result });
          return;
        }
      } while (w.again && !w.done);
    };
    w.inFlight = run().finally(() => {
      w.inFlight = null;
    });
    return w.inFlight;
  }

  /** Tries every waiter, a batch at a time; events during a sweep make one more sweep. */
  async function sweep(): Promise<void> {
    sweeping = true;
    try {
      do {
        sweepAgain = false;
        const list = [...waiters.values()];
        for (let i = 0; i < list.length && !closed; i += LONG_POLL_WAKE_BATCH_SIZE) {
          await Promise.all(list.slice(i, i + LONG_POLL_WAKE_BATCH_SIZE).map(attempt));
        }
      } while (sweepAgain && !closed);
    } finally {
      sweeping = false;
    }
  }

  function wakeAll(): void {
    if (waiters.size === 0) return;
    if (sweeping) sweepAgain = true;
    else void sweep();
  }

  function onEvent(e: PublishedEvent): void {
    switch (e.event) {
      case "/jobs":
        if (e.payload.status === "queued") wakeAll();
        break;
      case "/task":
        if (WAKING_TASK_STATUSES.has(e.payload.status)) wakeAll();
        break;
      case "/workertags":
        wakeAll();
        break;
      case "/workers": {
        // A status request, a tag change, deletion: answered at once, as a plain poll would be.
        const w = waiters.get(e.payload.id);
        if (w) void attempt(w);
        break;
      }
    }
  }

  // Events are published from after-commit work; the scheduler starts its own change, so it runs
  // once that work is over.
  const unlisten = broker.listen((e) => {
    if (waiters.size > 0) queueMicrotask(() => onEvent(e));
  });

  return {
    /**
     * scheduleTask, held up to `requestedMs` while there is no task. Ends early (as "no task")
     * when `signal` aborts or another long-poll of the same worker arrives.
     */
    async scheduleOrWait(
      worker: WorkerRow,
      requestedMs: number,
      signal: AbortSignal,
    ): Promise<LongPollOutcome> {
      if (closed) return { kind: "closed" };
      const grantedMs = waitBoundMs(requestedMs);
      if (grantedMs === 0 || (waiters.size >= maxWaiters && !waiters.has(worker.uuid))) {
        return { kind: "scheduled", result: await scheduler.scheduleTask(worker), grantedMs: 0 };
      }

      // Registered before the first attempt, so an event during it is not missed.
      const ending = Promise.withResolvers<Ending>();
      const w: Waiter = {
        worker,
        done: false,
        inFlight: null,
        again: false,
        end(how) {
          if (w.done) return;
          w.done = true;
          if (waiters.get(worker.uuid) === w) waiters.delete(worker.uuid);
          ending.resolve(how);
        },
      };
      waiters.get(worker.uuid)?.end(NONE);
      waiters.set(worker.uuid, w);
      const timer = clock.setTimeout(() => w.end(NONE), grantedMs);
      const onAbort = () => w.end(NONE);
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
      void attempt(w);

      const how = await ending.promise;
      clock.clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if ("closed" in how) return { kind: "closed" };
      if ("error" in how) throw how.error;
      // The whole hold counts as contact: the stamp of the first attempt may be that old by now.
      if (how.result.kind === "none") markSeen(db, worker, clock.now());
      return { kind: "scheduled", result: how.result, grantedMs };
    },

    /** How many requests are being held now. */
    waiting: () => waiters.size,

    /** Answers every waiter (as shutting down) and takes no new ones. */
    close(): void {
      if (closed) return;
      closed = true;
      unlisten();
      for (const w of [...waiters.values()]) w.end({ closed: true });
    },
  };
}

export type LongPoll = ReturnType<typeof createLongPoll>;
