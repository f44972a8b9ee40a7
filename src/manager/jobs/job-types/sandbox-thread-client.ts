// Main-thread side of the job-type worker thread: requests run one at a time, and a watchdog
// kills and replaces a worker that stops answering, quarantining the script that blocked it.
import { JobTypeError, deserializeError } from "./errors";
import { WATCHDOG_GRACE_MS } from "./limits";
import type { LogEntry, WorkerMessage, WorkerOp, WorkerRequest } from "./sandbox-thread-protocol";

const WORKER_URL = new URL("./sandbox-thread.ts", import.meta.url).href;

/** Bun's Worker can stop (and resume) keeping the process alive. */
type BunWorker = Worker & { ref(): void; unref(): void };

export interface WorkerClientOptions {
  scriptsDir: string | null;
  timeoutMs: number;
  log: (level: "info" | "warn", msg: string) => void;
}

interface Pending {
  op: WorkerOp;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

interface InFlight {
  pending: Pending;
  id: number;
  /** The script being evaluated, as last reported by the worker. */
  file?: string;
  identity?: string;
  watchdog: ReturnType<typeof setTimeout>;
}

export class ScriptWorkerClient {
  private worker: BunWorker | null = null;
  private workerReady = false;
  private readonly queue: Pending[] = [];
  private current: InFlight | null = null;
  private nextId = 1;
  /** Identities (path + mtime + size) of scripts that blocked a worker past the watchdog. */
  private readonly quarantined = new Set<string>();
  private closed = false;

  constructor(private readonly opts: WorkerClientOptions) {}

  request(op: WorkerOp): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("job-type registry is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.dispatch();
    });
  }

  close(): void {
    this.closed = true;
    const waiting = this.current ? [this.current.pending, ...this.queue] : [...this.queue];
    if (this.current) clearTimeout(this.current.watchdog);
    this.current = null;
    this.queue.length = 0;
    this.worker?.terminate();
    this.worker = null;
    for (const p of waiting) p.reject(new Error("job-type registry is closed"));
  }

  private dispatch(): void {
    if (this.current || this.closed) return;
    if (this.queue.length === 0) {
      this.worker?.unref(); // An idle worker must not keep the process alive.
      return;
    }
    const worker = this.ensureWorker();
    worker.ref();
    if (!this.workerReady) return; // Dispatched again on "ready".
    const pending = this.queue.shift()!;
    const id = this.nextId++;
    this.current = { pending, id, watchdog: this.armWatchdog() };
    const request: WorkerRequest = {
      ...pending.op,
      id,
      settings: {
        scriptsDir: this.opts.scriptsDir,
        timeoutMs: this.opts.timeoutMs,
        quarantined: [...this.quarantined],
      },
    };
    worker.postMessage(request);
  }

  private ensureWorker(): BunWorker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL) as BunWorker;
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => this.onMessage(worker, event.data);
    worker.onerror = (event: ErrorEvent) => this.onCrash(worker, event.message);
    this.worker = worker;
    this.workerReady = false;
    return worker;
  }

  private armWatchdog(): ReturnType<typeof setTimeout> {
    return setTimeout(() => this.onWatchdog(), this.opts.timeoutMs + WATCHDOG_GRACE_MS);
  }

  private forwardLogs(logs: LogEntry[]): void {
    for (const entry of logs) this.opts.log(entry.level, entry.message);
  }

  private onMessage(worker: BunWorker, message: WorkerMessage): void {
    if (worker !== this.worker) return;
    if (message.kind === "ready") {
      this.workerReady = true;
      this.dispatch();
      return;
    }
    const current = this.current;
    if (!current || message.id !== current.id) return;
    clearTimeout(current.watchdog);
    if (message.kind === "evaluating") {
      current.file = message.file;
      current.identity = message.identity;
      current.watchdog = this.armWatchdog();
      return;
    }
    this.current = null;
    this.forwardLogs(message.logs);
    if (message.kind === "done") current.pending.resolve(message.result);
    else current.pending.reject(deserializeError(message.error));
    this.dispatch();
  }

  /** Replaces the worker; the in-flight request is settled by the caller. */
  private dropWorker(): InFlight | null {
    const current = this.current;
    if (current) clearTimeout(current.watchdog);
    this.current = null;
    this.worker?.terminate();
    this.worker = null;
    return current;
  }

  private onWatchdog(): void {
    const current = this.dropWorker();
    if (!current) return;
    const { file, identity, pending } = current;
    if (identity) {
      this.quarantined.add(identity);
      this.opts.log(
        "warn",
        `job-type script ${file} blocked the worker thread past ${this.opts.timeoutMs} ms; worker restarted, script not run again until the file changes`,
      );
    }
    // A listing retries without the blocking script, so one bad file cannot hide all job types.
    if (pending.op.op === "list" && identity) this.queue.unshift(pending);
    else {
      const where = file ?? "job-type worker";
      const message = `${where}: script did not finish within ${this.opts.timeoutMs} ms; the job-type worker thread was restarted`;
      pending.reject(new JobTypeError("timeout", file, undefined, message));
    }
    this.dispatch();
  }

  private onCrash(worker: BunWorker, reason: string): void {
    if (worker !== this.worker) return;
    const started = this.workerReady;
    const current = this.dropWorker();
    this.opts.log("warn", `job-type worker thread crashed (${reason}); starting a new one`);
    // A worker that fails to start fails the first waiting request, so requests cannot wait forever.
    const failed = current?.pending ?? (started ? undefined : this.queue.shift());
    failed?.reject(
      new JobTypeError("script-error", current?.file, undefined, `job-type worker thread crashed: ${reason}`),
    );
    this.dispatch();
  }
}
