// The kill-9 scenario's worker: speaks the worker protocol through the generated client (as
// src/worker does), but instead of running commands it streams numbered log lines, and it writes
// down every answer it got. An update counts as acknowledged only when the Manager answered it
// 2xx; what is acknowledged must survive a crash of the Manager. Like Flamenco's worker it keeps
// an unanswered update and sends it again (in order) until it is answered, signs on again after
// losing the Manager, registers again if the Manager forgets it, and gives up on a task the
// Manager says is no longer its own (404/409).
import {
  type AssignedTask,
  type ManagerApi,
  type TaskUpdate,
  createManagerClient,
} from "../src/worker/client";
import { Backoff, sleepUnlessAborted } from "../src/worker/wait";

/** Every request gives up after this long (a killed Manager usually fails requests at once). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Retry delays while the Manager is away: short, so a restart is noticed quickly. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;
/** Wait after "no task for you" before asking again. */
const NO_TASK_WAIT_MS = 100;
const TASK_TYPES = ["misc"];

export interface StreamWorkerOptions {
  /** Short name, also the first word of every log line (`w1`). */
  name: string;
  managerUrl: string;
  updatesPerTask: number;
  linesPerUpdate: number;
  /** Called when the Manager has no task for this worker, so that the scenario can add work. */
  onIdle: () => void;
  /** Once aborted, the worker finishes (and delivers) its current task and stops. */
  stop: AbortSignal;
  /** Once aborted, the worker stops at once, even with an update not yet delivered. */
  abandon: AbortSignal;
}

/** An update the Manager acknowledged. */
export interface AckedUpdate {
  task: string;
  /** 1-based position in the task's updates; the last one carries `taskStatus: completed`. */
  seq: number;
  status?: string;
  lines: string[];
  /** performance.now() when the 2xx answer arrived. */
  ackedAt: number;
}

export interface Assignment {
  task: string;
  /** performance.now() when the request that got this task was sent. */
  requestedAt: number;
}

export interface Refusal {
  task: string;
  seq: number;
  status: number;
  /** The Manager's error message. */
  message: string;
  /** performance.now() when the refusal arrived. */
  at: number;
}

export interface StreamWorkerRecords {
  name: string;
  acked: AckedUpdate[];
  assignments: Assignment[];
  /** Updates sent again because an earlier attempt got no answer (or a 5xx). */
  resent: number;
  /** Updates the Manager refused (404/409: the task is not, or no longer, this worker's; 400). */
  refused: Refusal[];
  signOns: number;
  /** Registrations after the first: the Manager forgot a worker it had acknowledged. */
  reRegistrations: number;
  transportErrors: number;
  /** Answers the protocol does not expect here: "operation status" → how often, and the first body. */
  unexpected: Map<string, { count: number; example: string }>;
}

/** The log line a worker writes as line `n` of a task: `w1 t<task uuid> line 0001`. */
export function logLine(worker: string, task: string, n: number): string {
  return `${worker} t${task} line ${String(n).padStart(4, "0")}`;
}

type Delivery = "acked" | "refused" | "abandoned";

class StreamWorker {
  readonly records: StreamWorkerRecords;
  private creds: { workerId: string; secret: string } | null = null;
  private needsSignOn = true;
  private readonly backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
  private readonly api: ManagerApi;

  constructor(private readonly opts: StreamWorkerOptions) {
    this.records = {
      name: opts.name,
      acked: [],
      assignments: [],
      resent: 0,
      refused: [],
      signOns: 0,
      reRegistrations: 0,
      transportErrors: 0,
      unexpected: new Map(),
    };
    this.api = createManagerClient({
      baseUrl: opts.managerUrl,
      credentials: () => this.creds,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  }

  async run(): Promise<void> {
    while (!this.opts.stop.aborted && !this.opts.abandon.aborted) {
      await this.ensureSignedOn();
      if (this.opts.abandon.aborted) break;
      const requestedAt = performance.now();
      const answer = await this.attempt("scheduleTask", () => this.api.POST("/api/v3/worker/task"));
      if (answer === null) continue;
      const { status, data } = answer;
      if (status === 200 && data) {
        this.backoff.reset();
        this.records.assignments.push({ task: data.uuid, requestedAt });
        await this.runTask(data);
      } else if (status === 204) {
        this.opts.onIdle();
        await sleepUnlessAborted(NO_TASK_WAIT_MS, this.opts.stop);
      } else {
        this.handleRefusal("scheduleTask", status, answer.error);
        await sleepUnlessAborted(this.backoff.failed(), this.opts.stop);
      }
    }
    // A polite goodbye; the Manager may already be gone, which is fine.
    if (!this.opts.abandon.aborted) await this.api.POST("/api/v3/worker/sign-off").catch(() => undefined);
  }

  private async runTask(task: AssignedTask): Promise<void> {
    const { updatesPerTask, linesPerUpdate, name } = this.opts;
    for (let seq = 1; seq <= updatesPerTask; seq++) {
      const first = (seq - 1) * linesPerUpdate + 1;
      const lines = Array.from({ length: linesPerUpdate }, (_, i) => logLine(name, task.uuid, first + i));
      const last = seq === updatesPerTask;
      const body: TaskUpdate = {
        activity: `update ${seq} of ${updatesPerTask}`,
        log: lines.join("\n"),
        ...(last ? { taskStatus: "completed" as const } : {}),
      };
      const outcome = await this.deliver(task.uuid, seq, body);
      if (outcome !== "acked") return;
      this.records.acked.push({
        task: task.uuid,
        seq,
        lines,
        ackedAt: performance.now(),
        ...(last ? { status: "completed" } : {}),
      });
    }
  }

  /** Sends one update until the Manager answers it; never gives up on a Manager that is away. */
  private async deliver(taskId: string, seq: number, body: TaskUpdate): Promise<Delivery> {
    for (let attempt = 0; ; attempt++) {
      if (this.opts.abandon.aborted) return "abandoned";
      if (attempt > 0) this.records.resent++;
      await this.ensureSignedOn();
      const answer = await this.attempt("taskUpdate", () =>
        this.api.POST("/api/v3/worker/task/{task_id}", { params: { path: { task_id: taskId } }, body }),
      );
      if (answer === null) continue;
      const { status, error } = answer;
      if (status >= 200 && status < 300) {
        this.backoff.reset();
        return "acked";
      }
      // A 400 would be sent the same way again: as good as refused.
      if (status === 404 || status === 409 || status === 400) {
        const message = JSON.stringify(error ?? null);
        this.records.refused.push({ task: taskId, seq, status, message, at: performance.now() });
        return "refused";
      }
      this.handleRefusal("taskUpdate", status, error);
      await Bun.sleep(this.backoff.failed());
    }
  }

  /** One request; null (after a back-off wait) when it got no answer, or a 5xx. */
  private async attempt<T>(
    operation: string,
    send: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  ) {
    try {
      const r = await send();
      const status = r.response.status;
      if (status >= 500) {
        this.count(operation, status, r.error);
        await Bun.sleep(this.backoff.failed());
        return null;
      }
      return { status, data: r.data, error: r.error };
    } catch {
      this.records.transportErrors++;
      this.needsSignOn = true;
      await Bun.sleep(this.backoff.failed());
      return null;
    }
  }

  /** 403: the Manager does not know these credentials; 409/423: it wants a sign-on or a status. */
  private handleRefusal(operation: string, status: number, error: unknown) {
    this.count(operation, status, error);
    if (status === 403) this.creds = null;
    if (status === 403 || status === 409 || status === 423) this.needsSignOn = true;
  }

  private count(operation: string, status: number, error?: unknown) {
    const key = `${operation} ${status}`;
    const seen = this.records.unexpected.get(key);
    if (seen) seen.count++;
    else this.records.unexpected.set(key, { count: 1, example: JSON.stringify(error ?? null) });
  }

  /** Registers (when it has no identity), signs on and says it is awake; retries until it worked. */
  private async ensureSignedOn(): Promise<void> {
    while (this.needsSignOn && !this.opts.abandon.aborted) {
      if (!this.creds) {
        const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
        const registered = await this.attempt("register", () =>
          this.api.POST("/api/v3/worker/register-worker", {
            body: { name: this.opts.name, secret, platform: "linux", supported_task_types: TASK_TYPES },
          }),
        );
        if (registered === null) continue;
        if (!registered.data) {
          this.count("register", registered.status, registered.error);
          await Bun.sleep(this.backoff.failed());
          continue;
        }
        if (this.records.signOns > 0) this.records.reRegistrations++;
        this.creds = { workerId: registered.data.uuid, secret };
      }
      const signedOn = await this.attempt("sign-on", () =>
        this.api.POST("/api/v3/worker/sign-on", {
          body: { name: this.opts.name, supported_task_types: TASK_TYPES, software_version: "reliability" },
        }),
      );
      if (signedOn === null) continue;
      if (signedOn.status !== 200) {
        this.handleRefusal("sign-on", signedOn.status, signedOn.error);
        await Bun.sleep(this.backoff.failed());
        continue;
      }
      const awake = await this.attempt("state-changed", () =>
        this.api.POST("/api/v3/worker/state-changed", { body: { status: "awake" } }),
      );
      if (awake === null) continue;
      if (awake.status !== 204) {
        this.handleRefusal("state-changed", awake.status, awake.error);
        await Bun.sleep(this.backoff.failed());
        continue;
      }
      this.records.signOns++;
      this.needsSignOn = false;
      this.backoff.reset();
    }
  }
}

/** Runs one streaming worker until `opts.stop` aborts and its last task is delivered. */
export async function runStreamWorker(opts: StreamWorkerOptions): Promise<StreamWorkerRecords> {
  const worker = new StreamWorker(opts);
  await worker.run();
  return worker.records;
}
