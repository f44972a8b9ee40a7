// The worker's typed Manager API client: openapi-fetch over the generated schema, with the
// worker's Basic auth, a User-Agent and a time limit on every request.
import createClient, { type Client } from "openapi-fetch";
import { FLAMENCO_COMPAT_VERSION, PRODUCT_NAME, PRODUCT_VERSION } from "../../shared/version";
import type { components, paths } from "./schema";

export type ManagerApi = Client<paths>;
export type Schemas = components["schemas"];
export type AssignedTask = Schemas["AssignedTask"];
export type TaskUpdate = Schemas["TaskUpdate"];
export type WorkerStatus = Schemas["WorkerStatus"];

/** Flamenco Managers log this; the first part keeps the Flamenco product token they expect. */
export const WORKER_USER_AGENT = `Flamenco/${FLAMENCO_COMPAT_VERSION} (${PRODUCT_NAME}-worker ${PRODUCT_VERSION})`;

export interface WorkerCredentials {
  workerId: string;
  secret: string;
}

export interface ManagerClientOptions {
  /** The Manager's base URL, e.g. `http://farm:8080/`. */
  baseUrl: string;
  /** Read on every request, so re-registration takes effect without a new client. */
  credentials: () => WorkerCredentials | null;
  timeoutMs: number;
}

/** The HTTP Basic `Authorization` value for a worker (UTF-8, as the Manager decodes it). */
export function basicAuthHeader(uuid: string, secret: string): string {
  return `Basic ${Buffer.from(`${uuid}:${secret}`).toString("base64")}`;
}

export function createManagerClient(opts: ManagerClientOptions): ManagerApi {
  const client = createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ""),
    headers: { "User-Agent": WORKER_USER_AGENT },
    fetch: (request: Request) =>
      fetch(
        new Request(request, {
          signal: AbortSignal.any([request.signal, AbortSignal.timeout(opts.timeoutMs)]),
        }),
      ),
  });
  client.use({
    onRequest({ request }) {
      const creds = opts.credentials();
      if (creds) request.headers.set("Authorization", basicAuthHeader(creds.workerId, creds.secret));
      return request;
    },
  });
  return client;
}

/** The `message` of a Manager error body, else the HTTP status text. */
export function errorText(error: unknown, response: Response): string {
  if (error && typeof error === "object" && "message" in error && typeof error.message === "string") {
    return `${response.status}: ${error.message}`;
  }
  return `${response.status} ${response.statusText}`.trim();
}

/** Answers meaning "try again later": the Manager failed or is busy (5xx, 408, 429). */
export function isTransient(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
