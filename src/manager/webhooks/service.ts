// Webhooks (docs/webhooks.md): a broker forwarder that turns the events hooks subscribe to into
// delivery rows, and the loop that POSTs them. The forwarder only buffers in memory; the rows are
// written in one transaction after the publishing code has returned, so the broker, a request
// and the other forwarders never wait for a delivery. Rows are the queue: pending deliveries
// survive a restart and are sent by the next Manager. A hook's deliveries go out one at a time,
// oldest first, so a receiver that was down gets them in order; hooks do not wait for each other.
import type { Clock } from "../../shared/clock";
import type { Logger } from "../../shared/log";
import { iso } from "../../shared/wire-time";
import type { WebhookSetting } from "../config/schema";
import type { Db } from "../db/connection";
import { jobByUUID } from "../db/queries/jobs";
import {
  dropPendingBeyond,
  failPendingOfOtherHooks,
  insertWebhookDeliveries,
  oldestPendingDeliveries,
  pruneFinishedDeliveries,
  recentDeliveries,
  recordDeliveryAttempt,
  type DeliveryAttempt,
  type NewWebhookDelivery,
} from "../db/queries/webhook-deliveries";
import type { WebhookDeliveryRow } from "../db/schema";
import { inTransaction } from "../db/transaction";
import type { EventBroker, Forwarder } from "../events/broker";
import { TEST_EVENT, createOccurrenceMapper, summary, type WebhookOccurrence } from "./events";
import { formatBody, type WebhookPayload } from "./formats";
import { deliveryHeaders } from "./signature";

/** A hook as configured (`webhooks:` in flamenco-manager.yaml); an empty `secret` sends no signature. */
export type WebhookHook = WebhookSetting;

export interface WebhookTiming {
  /** Wait after the first failed attempt; each further failure multiplies it by the factor. */
  firstRetryMs: number;
  backoffFactor: number;
  maxRetryDelayMs: number;
  /** A delivery still failing this long after it was queued is given up. */
  giveUpAfterMs: number;
  /** How often due retries are looked for. */
  pollIntervalMs: number;
  requestTimeoutMs: number;
}

export const WEBHOOK_TIMING: WebhookTiming = {
  firstRetryMs: 5_000,
  backoffFactor: 2,
  maxRetryDelayMs: 5 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
  pollIntervalMs: 1_000,
  requestTimeoutMs: 10_000,
};
/** Hooks being delivered to at the same time. */
const WEBHOOK_MAX_CONCURRENT_DELIVERIES = 4;
/** Beyond this, a hook's oldest pending deliveries are dropped (counted and logged). */
export const WEBHOOK_MAX_PENDING_PER_HOOK = 1_000;
/**
 * Finished deliveries kept per hook, newest first (as many as the delivery log shows at most);
 * older ones are deleted as new ones are queued, so the table does not grow for ever.
 */
export const WEBHOOK_MAX_FINISHED_PER_HOOK = 1_000;
/** Occurrences buffered before they are written; more than the pending limit is never useful. */
const WEBHOOK_MAX_BUFFERED_OCCURRENCES = WEBHOOK_MAX_PENDING_PER_HOOK;
const WEBHOOK_MAX_BODY_BYTES = 64 * 1024;
const WEBHOOK_ERROR_MAX_CHARS = 500;

/** Answers worth trying again: the receiver is busy, down or overloaded; other 4xx are refusals. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

export interface WebhookServiceDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  /** Read at every use, so a saved configuration applies at once. */
  hooks: () => readonly WebhookHook[];
  managerName: () => string;
  log: Logger;
  timing?: Partial<WebhookTiming>;
}

/** One delivery as the delivery log shows it. */
export interface DeliveryView {
  id: string;
  hook: string;
  event: string;
  text: string;
  status: WebhookDeliveryRow["status"];
  attempts: number;
  created: string;
  last_attempt?: string;
  next_attempt?: string;
  response_status?: number;
  last_error: string;
}

function deliveryView(row: WebhookDeliveryRow): DeliveryView {
  return {
    id: row.uuid,
    hook: row.hookName,
    event: row.event,
    text: typeof row.payload.text === "string" ? row.payload.text : "",
    status: row.status,
    attempts: row.attempts,
    created: iso(row.createdAt),
    ...(row.lastAttemptAt ? { last_attempt: iso(row.lastAttemptAt) } : {}),
    ...(row.status === "pending" ? { next_attempt: iso(row.nextAttemptAt) } : {}),
    ...(row.responseStatus !== null ? { response_status: row.responseStatus } : {}),
    last_error: row.lastError,
  };
}

interface AttemptResult {
  ok: boolean;
  retryable: boolean;
  responseStatus: number | null;
  error: string;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

export function createWebhookService(deps: WebhookServiceDeps) {
  const { db, broker, clock, log } = deps;
  const timing: WebhookTiming = { ...WEBHOOK_TIMING, ...deps.timing };
  const mapOccurrence = createOccurrenceMapper();
  let buffered: { occurrence: WebhookOccurrence; at: Date }[] = [];
  let flushQueued = false;
  let droppedInMemory = 0;
  let timer: unknown = null;
  let running = false;
  const inFlight = new Map<string, Promise<void>>();
  const abort = new AbortController();

  const enabledHooks = () => deps.hooks().filter((h) => h.enabled);
  const hookNamed = (name: string) => deps.hooks().find((h) => h.name === name);

  /** The payload without its id: read once per occurrence, whatever number of hooks it goes to. */
  function payloadOf(o: WebhookOccurrence, at: Date): Omit<WebhookPayload, "id"> {
    // The job's activity is its failure or pause reason, the same text its page shows.
    const job = o.job ? { ...o.job, activity: jobByUUID(db, o.job.id)?.activity ?? "" } : undefined;
    return {
      event: o.event,
      occurred_at: iso(at),
      manager: deps.managerName(),
      text: summary(o, job?.activity),
      ...(job ? { job } : {}),
      ...(o.worker ? { worker: o.worker } : {}),
      ...(o.farm ? { farm: o.farm } : {}),
    };
  }

  /** Writes the buffered occurrences as deliveries, one per subscribed hook, in one transaction. */
  function flush(): void {
    flushQueued = false;
    const batch = buffered;
    buffered = [];
    if (droppedInMemory > 0) {
      log("warn", `webhooks: ${droppedInMemory} event(s) dropped before queueing: too many at once`);
      droppedInMemory = 0;
    }
    const hooks = enabledHooks();
    const rows: NewWebhookDelivery[] = [];
    for (const { occurrence, at } of batch) {
      const subscribed = hooks.filter((h) => h.events.includes(occurrence.event));
      if (subscribed.length === 0) continue;
      const payload = payloadOf(occurrence, at);
      for (const hook of subscribed) {
        const uuid = crypto.randomUUID();
        rows.push({
          uuid,
          hookName: hook.name,
          event: occurrence.event,
          dedupeKey: occurrence.dedupeKey,
          payload: { id: uuid, ...payload },
          status: "pending",
          nextAttemptAt: at,
          createdAt: at,
          updatedAt: at,
        });
      }
    }
    if (rows.length === 0) return;
    try {
      const dropped = inTransaction(db, (tx) => {
        insertWebhookDeliveries(tx, rows);
        const touched = new Set(rows.map((r) => r.hookName));
        return [...touched].map((name) => {
          const n = dropPendingBeyond(tx, name, WEBHOOK_MAX_PENDING_PER_HOOK, clock.now());
          pruneFinishedDeliveries(tx, name, WEBHOOK_MAX_FINISHED_PER_HOOK);
          return { name, n };
        });
      });
      for (const { name, n } of dropped.filter((d) => d.n > 0)) {
        log(
          "warn",
          `webhook ${name}: dropped ${n} undelivered event(s), over ${WEBHOOK_MAX_PENDING_PER_HOOK} pending`,
        );
      }
    } catch (err) {
      log("error", `webhooks: could not queue ${rows.length} delivery(ies): ${String(err)}`);
      return;
    }
    pump();
  }

  const forwarder: Forwarder = {
    name: "webhooks",
    forward(e) {
      const occurrence = mapOccurrence(e);
      if (!occurrence || !enabledHooks().some((h) => h.events.includes(occurrence.event))) return;
      if (buffered.length >= WEBHOOK_MAX_BUFFERED_OCCURRENCES) {
        buffered.shift();
        droppedInMemory++;
      }
      buffered.push({ occurrence, at: clock.now() });
      if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    },
  };

  /** One POST; never throws. */
  async function post(
    hook: WebhookHook,
    row: Pick<WebhookDeliveryRow, "uuid" | "event" | "payload">,
  ): Promise<AttemptResult> {
    const body = formatBody(hook.format, row.payload as unknown as WebhookPayload);
    if (Buffer.byteLength(body) > WEBHOOK_MAX_BODY_BYTES) {
      return {
        ok: false,
        retryable: false,
        responseStatus: null,
        error: `body over ${WEBHOOK_MAX_BODY_BYTES} bytes`,
      };
    }
    const headers = deliveryHeaders({
      secret: hook.secret,
      body,
      deliveryId: row.uuid,
      event: row.event,
      sentAt: clock.now(),
    });
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timing.requestTimeoutMs)]),
      });
      // The answer's body is of no use; not reading it keeps a chatty receiver from costing memory.
      await response.body?.cancel();
      const s = response.status;
      if (s >= 200 && s < 300) return { ok: true, retryable: false, responseStatus: s, error: "" };
      return {
        ok: false,
        retryable: s >= 500 || RETRYABLE_STATUSES.has(s),
        responseStatus: s,
        error: `HTTP ${s}${response.statusText ? ` ${response.statusText}` : ""}`,
      };
    } catch (err) {
      return {
        ok: false,
        retryable: true,
        responseStatus: null,
        error: ((err as Error).message || String(err)).slice(0, WEBHOOK_ERROR_MAX_CHARS),
      };
    }
  }

  function retryDelayMs(attempts: number): number {
    return Math.min(timing.firstRetryMs * timing.backoffFactor ** (attempts - 1), timing.maxRetryDelayMs);
  }

  function outcome(
    row: Pick<WebhookDeliveryRow, "attempts" | "createdAt">,
    result: AttemptResult,
    retries: boolean,
  ): DeliveryAttempt {
    const now = clock.now();
    const attempts = row.attempts + 1;
    const base = {
      attempts,
      lastAttemptAt: now,
      responseStatus: result.responseStatus,
      lastError: result.error,
    };
    if (result.ok) return { ...base, status: "delivered", nextAttemptAt: now };
    const next = new Date(now.getTime() + retryDelayMs(attempts));
    const tooOld = next.getTime() - row.createdAt.getTime() > timing.giveUpAfterMs;
    if (!retries || !result.retryable || tooOld) return { ...base, status: "failed", nextAttemptAt: now };
    return { ...base, status: "pending", nextAttemptAt: next };
  }

  async function deliver(hook: WebhookHook, row: WebhookDeliveryRow): Promise<void> {
    const result = await post(hook, row);
    // Stopping aborts the request: the delivery stays pending, and the next start sends it again.
    if (abort.signal.aborted) return;
    const attempt = outcome(row, result, true);
    inTransaction(db, (tx) => recordDeliveryAttempt(tx, row.id, attempt));
    if (attempt.status === "failed") {
      log(
        "warn",
        `webhook ${hook.name}: gave up on ${row.event} after ${attempt.attempts} attempt(s): ${result.error}`,
      );
    } else if (attempt.status === "pending" && attempt.attempts === 1) {
      log(
        "warn",
        `webhook ${hook.name}: ${row.event} not delivered (${result.error}); retrying with back-off`,
      );
    } else {
      log("debug", `webhook ${hook.name}: ${row.event} ${attempt.status} (attempt ${attempt.attempts})`);
    }
  }

  /** Starts the due head delivery of every idle hook, within the concurrency limit. */
  function pump(): void {
    if (!running) return;
    const idle = enabledHooks().filter((h) => !inFlight.has(h.name));
    if (idle.length === 0 || inFlight.size >= WEBHOOK_MAX_CONCURRENT_DELIVERIES) return;
    const now = clock.now().getTime();
    let heads: WebhookDeliveryRow[];
    try {
      heads = oldestPendingDeliveries(
        db,
        idle.map((h) => h.name),
      );
    } catch (err) {
      log("error", `webhooks: cannot read the delivery queue: ${String(err)}`);
      return;
    }
    for (const row of heads) {
      if (inFlight.size >= WEBHOOK_MAX_CONCURRENT_DELIVERIES) break;
      const hook = hookNamed(row.hookName);
      if (!hook || row.nextAttemptAt.getTime() > now) continue;
      const done = deliver(hook, row)
        .catch((err: unknown) => log("error", `webhook ${hook.name}: ${String(err)}`))
        .finally(() => {
          inFlight.delete(hook.name);
          pump();
        });
      inFlight.set(hook.name, done);
    }
  }

  /** Pending deliveries of hooks that were removed can never be sent. */
  function forgetRemovedHooks(): void {
    const names = deps.hooks().map((h) => h.name);
    const failed = inTransaction(db, (tx) =>
      failPendingOfOtherHooks(tx, names, clock.now(), "the hook was removed from the configuration"),
    );
    if (failed > 0) log("info", `webhooks: ${failed} pending delivery(ies) of removed hooks given up`);
  }

  return {
    /** Picks up what a previous run left pending, then retries on a timer. */
    start(): void {
      if (running) return;
      running = true;
      broker.addForwarder(forwarder);
      forgetRemovedHooks();
      timer = clock.setInterval(pump, timing.pollIntervalMs);
      pump();
    },

    /** After a configuration change: hooks may have been added, removed or enabled. */
    settingsChanged(): void {
      if (!running) return;
      forgetRemovedHooks();
      pump();
    },

    /**
     * Sends a test delivery to a configured hook now (once, without retries), records it in the
     * delivery log and returns it; null when there is no such hook.
     */
    async sendTest(hookName: string): Promise<DeliveryView | null> {
      const hook = hookNamed(hookName);
      if (!hook) return null;
      const now = clock.now();
      const uuid = crypto.randomUUID();
      const payload: WebhookPayload = {
        id: uuid,
        event: TEST_EVENT,
        occurred_at: iso(now),
        manager: deps.managerName(),
        text: `Test notification for webhook "${hook.name}"`,
      };
      // Sent before it is written, so the delivery loop never sees it pending and sends it twice.
      const result = await post(hook, { uuid, event: TEST_EVENT, payload: { ...payload } });
      const attempt = outcome({ attempts: 0, createdAt: now }, result, false);
      const row = {
        uuid,
        hookName: hook.name,
        event: TEST_EVENT,
        dedupeKey: `${TEST_EVENT}:${uuid}`,
        payload: { ...payload },
        createdAt: now,
        ...attempt,
        updatedAt: attempt.lastAttemptAt,
      };
      inTransaction(db, (tx) => insertWebhookDeliveries(tx, [row]));
      return deliveryView({ id: 0, ...row });
    },

    deliveries(opts: { hookName?: string; limit: number }): DeliveryView[] {
      return recentDeliveries(db, opts).map(deliveryView);
    },

    /** Stops retrying and abandons requests in flight (they stay pending for the next start). */
    async stop(): Promise<void> {
      if (!running) return;
      running = false;
      broker.removeForwarder(forwarder);
      if (timer !== null) clock.clearInterval(timer);
      if (flushQueued) flush();
      abort.abort();
      await Promise.all(inFlight.values());
    },
  };
}
