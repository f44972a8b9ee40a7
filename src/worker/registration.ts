// Registration and sign-on (see docs/worker-protocol.md): sign on with the stored credentials;
// register anew only when the Manager rejects them (401/403). An unreachable or failing Manager
// (network errors, 5xx) is retried with back-off instead, so the worker keeps its identity.
import { randomBytes } from "node:crypto";
import type { Logger } from "../shared/log";
import { REGISTRATION_SECRET_HEADER } from "../shared/registration-secret";
import type { ManagerApi, WorkerCredentials, WorkerStatus } from "./client";
import { errorText, isTransient } from "./client";
import { Backoff, sleepUnlessAborted } from "./wait";

export class RegistrationError extends Error {}

export interface WorkerIdentity {
  name: string;
  platform: string;
  taskTypes: string[];
  softwareVersion: string;
  canRestart: boolean;
}

export interface CredentialsStore {
  get(): WorkerCredentials | null;
  /** Persists new credentials; the API client uses them from then on. */
  set(creds: WorkerCredentials): void;
}

export interface RegistrationDeps {
  api: ManagerApi;
  credentials: CredentialsStore;
  identity: WorkerIdentity;
  /** The Manager's worker registration secret, sent when registering; absent or "": none. */
  registrationSecret?: string;
  retryMinMs: number;
  retryMaxMs: number;
  log: Logger;
}

type Attempt<T> =
  { kind: "ok"; value: T } | { kind: "rejected"; why: string } | { kind: "retry"; why: string };

function classify<T>(data: T | undefined, error: unknown, response: Response): Attempt<T> {
  if (response.status === 200 && data !== undefined) return { kind: "ok", value: data };
  const why = errorText(error, response);
  if (response.status === 401 || response.status === 403) return { kind: "rejected", why };
  if (isTransient(response.status)) return { kind: "retry", why };
  throw new RegistrationError(`the Manager refused the request: ${why}`);
}

/** Repeats `attempt` while it says retry, with doubling waits; null when `signal` aborted. */
async function withRetry<T>(
  what: string,
  deps: RegistrationDeps,
  signal: AbortSignal,
  attempt: () => Promise<Attempt<T>>,
): Promise<Exclude<Attempt<T>, { kind: "retry" }> | null> {
  const backoff = new Backoff(deps.retryMinMs, deps.retryMaxMs);
  while (!signal.aborted) {
    let result: Attempt<T>;
    try {
      result = await attempt();
    } catch (err) {
      if (err instanceof RegistrationError) throw err;
      result = { kind: "retry", why: (err as Error).message };
    }
    if (result.kind !== "retry") return result;
    const delay = backoff.failed();
    deps.log("warn", `${what} failed (${result.why}); trying again in ${(delay / 1000).toFixed(1)} s`);
    await sleepUnlessAborted(delay, signal);
  }
  return null;
}

async function signOn(deps: RegistrationDeps, signal: AbortSignal): Promise<Attempt<WorkerStatus>> {
  const { data, error, response } = await deps.api.POST("/api/v3/worker/sign-on", {
    body: {
      name: deps.identity.name,
      supported_task_types: deps.identity.taskTypes,
      software_version: deps.identity.softwareVersion,
      can_restart: deps.identity.canRestart,
    },
    signal,
  });
  const result = classify(data, error, response);
  return result.kind === "ok" ? { kind: "ok", value: result.value.status_requested } : result;
}

async function register(
  deps: RegistrationDeps,
  secret: string,
  signal: AbortSignal,
): Promise<Attempt<string>> {
  const { data, error, response } = await deps.api.POST("/api/v3/worker/register-worker", {
    body: {
      name: deps.identity.name,
      platform: deps.identity.platform,
      secret,
      supported_task_types: deps.identity.taskTypes,
    },
    headers: deps.registrationSecret ? { [REGISTRATION_SECRET_HEADER]: deps.registrationSecret } : {},
    signal,
  });
  const result = classify(data, error, response);
  return result.kind === "ok" ? { kind: "ok", value: result.value.uuid } : result;
}

/**
 * Signs on (registering first when needed) and answers the status the Manager wants the worker
 * in; null when `signal` aborted first. Throws RegistrationError when the Manager refuses outright.
 */
export async function registerOrSignOn(
  deps: RegistrationDeps,
  signal: AbortSignal,
): Promise<WorkerStatus | null> {
  const { credentials, log } = deps;
  if (credentials.get()) {
    const result = await withRetry("signing on", deps, signal, () => signOn(deps, signal));
    if (!result) return null;
    if (result.kind === "ok") {
      log("info", `signed on as ${credentials.get()!.workerId}; the Manager asks for status ${result.value}`);
      return result.value;
    }
    log("warn", `the Manager rejected our credentials (${result.why}); registering as a new worker`);
  }

  const secret = randomBytes(32).toString("hex");
  const registered = await withRetry("registering", deps, signal, () => register(deps, secret, signal));
  if (!registered) return null;
  if (registered.kind === "rejected") throw new RegistrationError(`registration refused: ${registered.why}`);
  credentials.set({ workerId: registered.value, secret });
  log("info", `registered as worker ${registered.value}`);

  const result = await withRetry("signing on", deps, signal, () => signOn(deps, signal));
  if (!result) return null;
  if (result.kind === "rejected")
    throw new RegistrationError(`sign-on with fresh credentials rejected: ${result.why}`);
  log("info", `signed on; the Manager asks for status ${result.value}`);
  return result.value;
}
