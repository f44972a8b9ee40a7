// Transactions of the services: a change runs in a SQLite transaction, and the events it
// collected (and whatever it deferred with afterCommit, such as task-log lines) are published
// only after the commit, in order, so nobody sees or reads about a change that was rolled back.
//
// Group commit (turned on by the Manager with enableGroupCommit): the small, frequent changes
// that ask for it ({ shared: true }: task assignment, task updates, may-I-run) share one SQLite transaction
// per turn of the event loop, each in a savepoint of its own so that a failing change rolls back
// alone, and one COMMIT at the end of the turn writes them all to the WAL. Under load that turns
// many commits (each writing its pages) into one. The HTTP layer answers only once that commit
// is done (commitSettled), so no worker hears "done" before its change is saved. Other changes
// commit the pending shared transaction first and then run as transactions of their own: SQLite
// journals every existing page a savepoint modifies, so a large write (a job of thousands of
// tasks) inside one gets slower the larger the database.
import { sql, type SQL } from "drizzle-orm";
import type { BrokerEvent, EventBroker } from "../events/broker";
import { perConnection, prepareSql } from "./prepared";
import type { Db, DbOrTx, Tx } from "./types";

export type { Tx };
export type Emit = (event: BrokerEvent) => void;

/** An event to publish or a deferred step, run once the change is committed. */
type AfterCommit = () => void;

/** The shared transaction of one event-loop turn. */
interface Batch {
  /** What the kept changes left to do after the COMMIT, in order. */
  actions: AfterCommit[];
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface ConnectionState {
  groupCommit: { log: (msg: string) => void } | null;
  batch: Batch | null;
  /** What the open (nested) changes left to do after the commit, innermost last. */
  frames: AfterCommit[][];
}

const statements = perConnection((db: DbOrTx) => {
  const run = (query: SQL) => {
    const prepared = prepareSql(db, query);
    return () => void prepared.all();
  };
  return {
    begin: run(sql`BEGIN IMMEDIATE`),
    commit: run(sql`COMMIT`),
    rollback: run(sql`ROLLBACK`),
    savepoint: run(sql`SAVEPOINT change`),
    release: run(sql`RELEASE change`),
    rollbackTo: run(sql`ROLLBACK TO change`),
  };
});

const states = perConnection((): ConnectionState => ({ groupCommit: null, batch: null, frames: [] }));

/**
 * From now on, changes on this connection during one event-loop turn share one commit. Call
 * once, from the composition root; `log` hears about commits that failed.
 */
export function enableGroupCommit(db: Db, log: (msg: string) => void): void {
  states(db).groupCommit = { log };
}

/**
 * Resolves once the changes made so far are committed (at once when none is pending); rejects
 * when the shared commit they are part of failed.
 */
export function commitSettled(db: Db): Promise<void> {
  return states(db).batch?.done ?? Promise.resolve();
}

/** Commits the pending shared transaction now (before closing the database, for one). */
export function flushGroupCommit(db: Db): void {
  const state = states(db);
  const batch = state.batch;
  if (!batch) return;
  state.batch = null;
  try {
    statements(db).commit();
  } catch (err) {
    rollbackQuietly(db);
    state.groupCommit?.log(
      `database commit failed, ${batch.actions.length} event(s) and log line(s) dropped: ${String(err)}`,
    );
    batch.reject(err);
    return;
  }
  for (const action of batch.actions) action();
  batch.resolve();
}

function rollbackQuietly(db: Db): void {
  try {
    statements(db).rollback();
  } catch {
    // SQLite already rolled back on its own (after an I/O error, for one).
  }
}

function openBatch(db: Db, state: ConnectionState): Batch {
  statements(db).begin();
  const { promise: done, resolve, reject } = Promise.withResolvers<void>();
  // Nobody may be waiting (a timer's change); the failure is logged by flushGroupCommit.
  done.catch(() => undefined);
  const batch: Batch = { actions: [], done, resolve, reject };
  state.batch = batch;
  setImmediate(() => {
    if (state.batch === batch) flushGroupCommit(db);
  });
  return batch;
}

/**
 * Runs `fn` once the open change is committed (at once outside any), in order with the change's
 * events; dropped when the change rolls back. For side effects outside the database that must not
 * outlive a rolled-back change, such as task-log lines.
 */
export function afterCommit(db: Db, fn: () => void): void {
  const frames = states(db).frames;
  if (frames.length === 0) fn();
  else frames[frames.length - 1].push(fn);
}

export interface TransactionOptions {
  /**
   * Join the turn's shared transaction when group commit is on. For changes of a few rows that
   * many clients make all the time; never for bulk writes.
   */
  shared?: boolean;
}

export function inTransaction<T>(
  db: Db,
  broker: EventBroker,
  fn: (tx: Tx, emit: Emit) => T,
  opts: TransactionOptions = {},
): T {
  const state = states(db);
  const stmts = statements(db);
  const nested = state.frames.length > 0;
  // The outermost change either joins (or opens) the turn's shared transaction in a savepoint,
  // or is a transaction of its own, after the shared one; nested changes are savepoints.
  const shared = !nested && opts.shared === true && state.groupCommit !== null;
  const batch = shared ? (state.batch ?? openBatch(db, state)) : null;
  if (nested || shared) {
    stmts.savepoint();
  } else {
    flushGroupCommit(db);
    stmts.begin();
  }

  const frame: AfterCommit[] = [];
  state.frames.push(frame);
  let result: T;
  try {
    result = fn(db as unknown as Tx, (event) => frame.push(() => broker.publish(event)));
  } catch (err) {
    state.frames.pop();
    if (nested || shared) {
      stmts.rollbackTo();
      stmts.release();
    } else {
      stmts.rollback();
    }
    throw err;
  }
  state.frames.pop();
  if (nested) {
    stmts.release();
    state.frames[state.frames.length - 1].push(...frame);
  } else if (batch) {
    stmts.release();
    batch.actions.push(...frame);
  } else {
    try {
      stmts.commit();
    } catch (err) {
      rollbackQuietly(db);
      throw err;
    }
    for (const action of frame) action();
  }
  return result;
}
