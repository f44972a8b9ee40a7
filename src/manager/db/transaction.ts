// Every write of the Manager runs in a change made here: a SQLite transaction whose after-commit
// work (its events, its task-log lines) runs only once it is committed, in order, so nobody sees
// or reads about a change that was rolled back. A change inside another is a savepoint: it rolls
// back alone, and its after-commit work joins the outer change's.
//
// Group commit (turned on by the Manager with enableGroupCommit): the small changes workers make
// all the time (task assignment, task updates, may-I-run, last-seen stamps) go through
// inSharedTransaction. They share one SQLite transaction per turn of the event loop, each in a
// savepoint of its own, and one COMMIT at the end of the turn writes them all to the WAL: under
// load many commits become one. inSharedTransaction's promise settles only after that commit, so
// whoever answers a worker awaits it and no worker hears "done" before its change is saved.
// Every other change commits the pending shared transaction first and then runs on its own:
// SQLite journals each existing page a savepoint modifies, so a bulk write (a job of thousands of
// tasks) inside a shared transaction would get slower the larger the database.
import type { Db, Tx } from "./connection";

/** A shared commit failed: the changes it held are lost, and nobody may be told they were saved. */
export class CommitFailedError extends Error {
  override name = "CommitFailedError";
}

type AfterCommit = () => void;

/** What a change threw, as a promise's rejection (our code throws Errors; anything else is wrapped). */
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/** The shared transaction of one event-loop turn. */
interface Batch {
  /** What the kept changes left to do after the COMMIT, in order. */
  actions: AfterCommit[];
  /** performance.now() at its BEGIN. */
  startedAt: number;
  done: Promise<void>;
  resolve(): void;
  reject(err: CommitFailedError): void;
}

/**
 * How long writes held the database (BEGIN to COMMIT) on this connection: bulk work is cut into
 * slices so that no single write keeps the worker API's group commits waiting for long.
 */
export interface WriteStats {
  /** Transactions of their own (inTransaction). */
  writes: number;
  longestWriteMs: number;
  /** Shared transactions (group commit: one per event-loop turn with worker changes). */
  sharedWrites: number;
  longestSharedWriteMs: number;
  /** The longest single change inside a shared transaction, and where it was made. */
  longestSharedChangeMs: number;
  /** Where the longest transaction and the longest shared change were made (their callers). */
  longestWriteAt: string;
  longestSharedChangeAt: string;
}

interface ConnectionState {
  onCommitFailed: ((msg: string) => void) | null;
  stats: WriteStats;
  batch: Batch | null;
  /** The after-commit work of the open (nested) changes, innermost last. */
  frames: AfterCommit[][];
}

const newState = (): ConnectionState => ({
  onCommitFailed: null,
  batch: null,
  frames: [],
  stats: {
    writes: 0,
    longestWriteMs: 0,
    sharedWrites: 0,
    longestSharedWriteMs: 0,
    longestSharedChangeMs: 0,
    longestWriteAt: "",
    longestSharedChangeAt: "",
  },
});

/** The write timings of this connection since it was opened. */
export function writeStats(db: Db): Readonly<WriteStats> {
  return db.memo(newState).stats;
}

export const describeWriteStats = (s: WriteStats) =>
  `database writes: ${s.writes} transactions, the longest held the database for ${s.longestWriteMs.toFixed(1)} ms; ` +
  `${s.sharedWrites} group commits, the longest held it for ${s.longestSharedWriteMs.toFixed(1)} ms ` +
  `(its longest change ${s.longestSharedChangeMs.toFixed(1)} ms); ` +
  `the longest transaction came from ${s.longestWriteAt || "-"}, the longest shared change from ${s.longestSharedChangeAt || "-"}`;

/** Frames of the stack that made a change, past this module: taken only for a new longest. */
function callerOf(): string {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  return frames
    .filter((f) => !f.includes("/db/transaction.ts"))
    .slice(0, CALLER_FRAMES)
    .map((f) => f.trim().replace(/^at /, ""))
    .join(" < ");
}

/** How many stack frames name the caller of the longest write. */
const CALLER_FRAMES = 4;

function statements(db: Db) {
  return db.memo(prepareStatements);
}

function prepareStatements(db: Db) {
  const run = (sqlText: string) => {
    const statement = db.prepare(sqlText);
    return () => statement.run();
  };
  return {
    begin: run("BEGIN IMMEDIATE"),
    commit: run("COMMIT"),
    rollback: run("ROLLBACK"),
    savepoint: run("SAVEPOINT change"),
    release: run("RELEASE change"),
    rollbackTo: run("ROLLBACK TO change"),
  };
}

/**
 * From now on, shared changes on this connection during one event-loop turn share one commit.
 * Call once, from the composition root; `onCommitFailed` hears about commits that failed.
 */
export function enableGroupCommit(db: Db, onCommitFailed: (msg: string) => void): void {
  db.memo(newState).onCommitFailed = onCommitFailed;
}

/** Commits the pending shared transaction now (before closing the database, for one). */
export function flushGroupCommit(db: Db): void {
  const state = db.memo(newState);
  const batch = state.batch;
  if (!batch) return;
  state.batch = null;
  try {
    statements(db).commit();
    const heldMs = performance.now() - batch.startedAt;
    state.stats.sharedWrites++;
    if (heldMs > state.stats.longestSharedWriteMs) state.stats.longestSharedWriteMs = heldMs;
  } catch (err) {
    rollbackQuietly(db);
    state.onCommitFailed?.(
      `database commit failed, ${batch.actions.length} event(s) and log line(s) dropped: ${String(err)}`,
    );
    batch.reject(new CommitFailedError(`the database could not save the change: ${(err as Error).message}`));
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
  const startedAt = performance.now();
  const { promise: done, resolve, reject } = Promise.withResolvers<void>();
  // Nobody may be waiting (a timer's change); the failure is reported by flushGroupCommit.
  done.catch(() => undefined);
  const batch: Batch = { actions: [], startedAt, done, resolve, reject };
  state.batch = batch;
  setImmediate(() => {
    if (state.batch === batch) flushGroupCommit(db);
  });
  return batch;
}

/**
 * Runs `fn` once the open change is committed, or at once outside any change. For callers that
 * may run inside a change or outside one (the task-log store); inside a change, `tx.afterCommit`.
 */
export function afterCommit(db: Db, fn: AfterCommit): void {
  const frames = db.memo(newState).frames;
  const innermost = frames[frames.length - 1];
  if (innermost) innermost.push(fn);
  else fn();
}

/** Runs `fn` in the frame of a new change; on success returns its result and its after-commit work. */
function runChange<T>(
  db: Db,
  state: ConnectionState,
  fn: (tx: Tx) => T,
): { result: T; frame: AfterCommit[] } {
  const frame: AfterCommit[] = [];
  const tx: Tx = { orm: db.orm, prepare: db.prepare, memo: db.memo, afterCommit: (f) => frame.push(f) };
  state.frames.push(frame);
  try {
    return { result: fn(tx), frame };
  } finally {
    state.frames.pop();
  }
}

/** A change inside another: a savepoint whose after-commit work joins the outer change's. */
function nestedChange<T>(db: Db, state: ConnectionState, fn: (tx: Tx) => T): T {
  const stmts = statements(db);
  stmts.savepoint();
  let ran;
  try {
    ran = runChange(db, state, fn);
  } catch (err) {
    stmts.rollbackTo();
    stmts.release();
    throw err;
  }
  stmts.release();
  const outer = state.frames[state.frames.length - 1];
  if (outer) outer.push(...ran.frame);
  return ran.result;
}

/**
 * Runs `fn` as one change committed before this returns (a savepoint when called inside another
 * change). A throw rolls it back and drops its after-commit work. For everything but the workers'
 * small, frequent changes (see inSharedTransaction).
 */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => T): T {
  const state = db.memo(newState);
  if (state.frames.length > 0) return nestedChange(db, state, fn);
  const stmts = statements(db);
  flushGroupCommit(db);
  stmts.begin();
  const startedAt = performance.now();
  let ran;
  try {
    ran = runChange(db, state, fn);
  } catch (err) {
    stmts.rollback();
    throw err;
  }
  try {
    stmts.commit();
  } catch (err) {
    rollbackQuietly(db);
    throw err;
  }
  const heldMs = performance.now() - startedAt;
  state.stats.writes++;
  if (heldMs > state.stats.longestWriteMs) {
    state.stats.longestWriteMs = heldMs;
    state.stats.longestWriteAt = callerOf();
  }
  for (const action of ran.frame) action();
  return ran.result;
}

/**
 * Runs `fn` now, as a savepoint of the event-loop turn's shared transaction (group commit), and
 * resolves with its result once that transaction is committed; rejects with fn's error (the
 * savepoint rolled back alone) or with a CommitFailedError. For changes of a few rows that many
 * workers make all the time; never for bulk writes. Without group commit it is inTransaction.
 */
export function inSharedTransaction<T>(db: Db, fn: (tx: Tx) => T): Promise<T> {
  const state = db.memo(newState);
  if (state.frames.length > 0) {
    // Part of the change around it: settled by that change's commit (never, if it rolls back).
    try {
      const result = nestedChange(db, state, fn);
      const { promise, resolve } = Promise.withResolvers<T>();
      afterCommit(db, () => resolve(result));
      return promise;
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }
  if (state.onCommitFailed === null) {
    try {
      return Promise.resolve(inTransaction(db, fn));
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }
  const batch = state.batch ?? openBatch(db, state);
  let result: T;
  // The batch stands as the outer change: the savepoint's after-commit work joins it.
  state.frames.push(batch.actions);
  const startedAt = performance.now();
  try {
    result = nestedChange(db, state, fn);
    const tookMs = performance.now() - startedAt;
    if (tookMs > state.stats.longestSharedChangeMs) {
      state.stats.longestSharedChangeMs = tookMs;
      state.stats.longestSharedChangeAt = callerOf();
    }
  } catch (err) {
    return Promise.reject(asError(err));
  } finally {
    state.frames.pop();
  }
  return batch.done.then(() => result);
}
