// Transactions of the services: a change runs in a SQLite transaction, and the events it
// collected are published only after the commit, so subscribers never see a change that was
// rolled back.
//
// Group commit (turned on by the Manager with enableGroupCommit): the small, frequent changes
// that ask for it ({ shared: true }: task assignment, task updates) share one SQLite transaction
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

interface Published {
  broker: EventBroker;
  event: BrokerEvent;
}

/** The shared transaction of one event-loop turn. */
interface Batch {
  /** Events of the changes that were kept, in order, published after the COMMIT. */
  events: Published[];
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface ConnectionState {
  groupCommit: { log: (msg: string) => void } | null;
  batch: Batch | null;
  /** Events of the open (nested) changes, innermost last. */
  frames: Published[][];
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
      `database commit failed, ${batch.events.length} change event(s) dropped: ${String(err)}`,
    );
    batch.reject(err);
    return;
  }
  for (const { broker, event } of batch.events) broker.publish(event);
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
  const batch: Batch = { events: [], done, resolve, reject };
  state.batch = batch;
  setImmediate(() => {
    if (state.batch === batch) flushGroupCommit(db);
  });
  return batch;
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

  const frame: Published[] = [];
  state.frames.push(frame);
  let result: T;
  try {
    result = fn(db as unknown as Tx, (event) => frame.push({ broker, event }));
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
    batch.events.push(...frame);
  } else {
    try {
      stmts.commit();
    } catch (err) {
      rollbackQuietly(db);
      throw err;
    }
    for (const { broker: b, event } of frame) b.publish(event);
  }
  return result;
}
