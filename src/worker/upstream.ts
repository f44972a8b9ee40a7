// Delivery of task updates: every update is first stored in a local SQLite queue,
// then sent strictly in order. While the Manager is unreachable they stay queued and are retried
// with back-off, so none is lost, reordered or sent twice.
import { Database } from "bun:sqlite";
import type { Logger } from "../shared/log";
import type { ManagerApi, TaskUpdate } from "./client";
import { errorText, isTransient } from "./client";
import { QUEUE_DB_BUSY_TIMEOUT_MS } from "./constants";
import { Backoff, sleepUnlessAborted } from "./wait";

/** What became of one update. */
export type Delivery =
  | { kind: "delivered" }
  /** Not delivered yet (Manager unreachable, busy or refusing our credentials); it stays queued. */
  | { kind: "queued" }
  /** The Manager answered and will not take it: 409 task reassigned, 404 task gone, 400 bad update. */
  | { kind: "refused"; status: number; message: string };

export type FlushResult = "drained" | "unreachable" | "unauthorized";

/** The queue table, compatible with Flamenco's worker database. */
export function openUpdateQueueDb(path: string): Database {
  const db = new Database(path, { create: true });
  db.exec(`PRAGMA busy_timeout = ${QUEUE_DB_BUSY_TIMEOUT_MS}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  const check = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get();
  if (check?.integrity_check !== "ok") {
    db.close();
    throw new Error(
      `${path}: database is damaged (${check?.integrity_check}); move it away to start with an empty queue`,
    );
  }
  db.exec(`CREATE TABLE IF NOT EXISTS task_updates (
    id INTEGER PRIMARY KEY,
    created_at DATETIME NOT NULL,
    task_id VARCHAR(36) NOT NULL DEFAULT '',
    payload BLOB
  )`);
  return db;
}

interface QueuedRow {
  id: number;
  task_id: string;
  payload: string | Uint8Array | null;
}

export interface UpstreamDeps {
  db: Database;
  api: ManagerApi;
  log: Logger;
  retryMinMs: number;
  retryMaxMs: number;
}

export class Upstream {
  private readonly db: Database;
  private readonly api: ManagerApi;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  /** Callers waiting to learn what became of their update, by queue row id. */
  private readonly waiters = new Map<number, (d: Delivery) => void>();
  private pumping: Promise<FlushResult> | null = null;
  private inFlight: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastResult: FlushResult = "drained";
  /** The last task whose updates the Manager refused as not ours: its further refusals go unlogged. */
  private lastTaskGone: string | null = null;
  private closed = false;

  constructor(deps: UpstreamDeps) {
    this.db = deps.db;
    this.api = deps.api;
    this.log = deps.log;
    this.backoff = new Backoff(deps.retryMinMs, deps.retryMaxMs);
  }

  /** Number of updates not yet delivered. */
  pending(): number {
    return this.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM task_updates").get()!.n;
  }

  /**
   * Queues the update and resolves once it was delivered or refused, or right away with
   * `queued` when the Manager is known to be unreachable (it is then sent later).
   */
  send(taskId: string, update: TaskUpdate): Promise<Delivery> {
    if (this.closed) return Promise.resolve({ kind: "queued" });
    const id = this.db
      .query<{ id: number }, [string, string, string]>(
        "INSERT INTO task_updates (created_at, task_id, payload) VALUES (?, ?, ?) RETURNING id",
      )
      .get(new Date().toISOString(), taskId, JSON.stringify(update))!.id;
    const result = new Promise<Delivery>((resolve) => this.waiters.set(id, resolve));
    if (this.retryTimer !== null) {
      // Known to be offline: do not make the task wait; the retry timer delivers it.
      this.settle(id, { kind: "queued" });
    } else {
      void this.pump();
    }
    return result;
  }

  /** Tries to deliver everything now; the answer says whether the queue is empty. */
  flush(): Promise<FlushResult> {
    this.cancelRetry();
    return this.pump();
  }

  /**
   * Stops retrying, gives the queue one last chance within `budgetMs`, and closes the database.
   * A delivery still in flight then is cut off; its update stays queued for the next start.
   */
  async close(budgetMs: number): Promise<void> {
    this.cancelRetry();
    const budget = new AbortController();
    await Promise.race([this.pump(), sleepUnlessAborted(budgetMs, budget.signal)]);
    budget.abort();
    this.closed = true;
    this.cancelRetry();
    this.inFlight?.abort();
    await this.pumping;
    const left = this.pending();
    if (left > 0)
      this.log("warn", `${left} task update(s) could not be delivered; they are sent at the next start`);
    for (const id of [...this.waiters.keys()]) this.settle(id, { kind: "queued" });
    this.db.close();
  }

  private pump(): Promise<FlushResult> {
    if (this.closed) return Promise.resolve(this.lastResult);
    this.pumping ??= this.drain();
    return this.pumping;
  }

  /** Sends queued updates oldest first, until none is left or the Manager cannot take them. */
  private async drain(): Promise<FlushResult> {
    await Promise.resolve(); // Lets pump() store this promise before the drain can end.
    try {
      for (;;) {
        const row = this.db
          .query<QueuedRow, []>("SELECT id, task_id, payload FROM task_updates ORDER BY id LIMIT 1")
          .get();
        if (!row) {
          this.backoff.reset();
          return (this.lastResult = "drained");
        }
        let update: TaskUpdate;
        try {
          // send() stored JSON.stringify(update): the shape is a TaskUpdate, only the bytes can be damaged.
          update = JSON.parse(
            typeof row.payload === "string"
              ? row.payload
              : new TextDecoder().decode(row.payload ?? undefined),
          ) as TaskUpdate;
        } catch {
          this.log("warn", `dropping unreadable queued update ${row.id} for task ${row.task_id}`);
          this.remove(row.id, { kind: "refused", status: 0, message: "unreadable queued update" });
          continue;
        }
        if (this.closed) return this.lastResult;
        const outcome = await this.deliver(row.task_id, update);
        if (outcome === "unreachable" || outcome === "unauthorized") {
          this.lastResult = outcome;
          for (const id of [...this.waiters.keys()]) this.settle(id, { kind: "queued" });
          this.scheduleRetry();
          return outcome;
        }
        if (outcome.kind === "refused") this.logRefusal(row.task_id, outcome);
        this.remove(row.id, outcome);
      }
    } finally {
      // Runs as the loop returns, before anyone waiting on a delivery resumes: their next send
      // then starts a new drain instead of joining this finished one.
      this.pumping = null;
    }
  }

  private async deliver(
    taskId: string,
    update: TaskUpdate,
  ): Promise<Delivery | "unreachable" | "unauthorized"> {
    this.inFlight = new AbortController();
    try {
      const { error, response } = await this.api.POST("/api/v3/worker/task/{task_id}", {
        params: { path: { task_id: taskId } },
        body: update,
        signal: this.inFlight.signal,
      });
      if (response.ok) return { kind: "delivered" };
      if (response.status === 403) {
        this.log(
          "warn",
          `Manager refused our credentials while sending a task update (${errorText(error, response)})`,
        );
        return "unauthorized";
      }
      if (isTransient(response.status)) {
        this.log(
          "warn",
          `Manager could not take a task update now (${errorText(error, response)}); keeping it queued`,
        );
        return "unreachable";
      }
      return { kind: "refused", status: response.status, message: errorText(error, response) };
    } catch (err) {
      this.log("debug", `task update for ${taskId} not delivered: ${(err as Error).message}`);
      return "unreachable";
    } finally {
      this.inFlight = null;
    }
  }

  /**
   * A 409 or 404 means the task is no longer this worker's (finished, requeued or given to
   * another): normal, so said once per task at info. Other refusals are a bug somewhere: warn.
   */
  private logRefusal(taskId: string, refusal: { status: number; message: string }): void {
    if (refusal.status !== 409 && refusal.status !== 404) {
      this.log("warn", `Manager refused update for task ${taskId}: ${refusal.message}`);
      return;
    }
    if (this.lastTaskGone === taskId) return;
    this.lastTaskGone = taskId;
    this.log("info", `task ${taskId} is no longer this worker's (${refusal.message}); dropping its updates`);
  }

  private remove(id: number, outcome: Delivery): void {
    this.db.query("DELETE FROM task_updates WHERE id = ?").run(id);
    this.settle(id, outcome);
  }

  private settle(id: number, outcome: Delivery): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    waiter(outcome);
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== null) return;
    const delay = this.backoff.failed();
    this.log("debug", `retrying queued task updates in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.pump();
    }, delay);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
