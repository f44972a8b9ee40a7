// Throttling of failed credential checks (worker passwords, the registration secret) per client
// address, so guessing is slow and cannot cost the Manager unbounded bcrypt work. It is a
// token bucket kept as one "theoretical arrival time" per address (GCRA): a burst of failures is
// answered at once, each further one waits its turn at a fixed rate, and an attempt that would
// wait too long is refused before anything is checked. Only failures are slowed: a caller with
// valid credentials is answered at once, also from an address that is being throttled; an
// attacker still gets no more checked guesses than the bucket's refill rate
// (docs/worker-protocol.md#throttling).
import type { Clock } from "../../shared/clock";

/**
 * Failed checks an address may have answered without delay. Slots are reserved before checking,
 * so this is also how many first contacts one address may make at once unrefused: enough for a
 * host of containerised workers behind one NAT address re-authenticating after a restart.
 */
export const FAILED_AUTH_BURST = 64;
/** After the burst, one more failed check per interval: each waits this much longer than the last. */
export const FAILED_AUTH_INTERVAL_MS = 1_000;
/** An attempt whose failure would be answered later than this is refused (429) unchecked. */
export const FAILED_AUTH_MAX_DELAY_MS = 30_000;
/** Addresses remembered at once; the least recently active is forgotten first. */
export const FAILED_AUTH_MAX_ADDRESSES = 10_000;

export interface ThrottleLimits {
  burst: number;
  intervalMs: number;
  maxDelayMs: number;
  maxAddresses: number;
}

const DEFAULT_THROTTLE_LIMITS: Readonly<ThrottleLimits> = {
  burst: FAILED_AUTH_BURST,
  intervalMs: FAILED_AUTH_INTERVAL_MS,
  maxDelayMs: FAILED_AUTH_MAX_DELAY_MS,
  maxAddresses: FAILED_AUTH_MAX_ADDRESSES,
};

/** A reserved failure slot: handed back on success, waited out on failure. */
export interface ThrottleTicket {
  address: string;
  /** Epoch milliseconds before which a failure must not be answered. */
  answerFailureAt: number;
}

export type Admission =
  | { admitted: true; ticket: ThrottleTicket }
  /** `retryAfterMs`: until an attempt from this address would be answered without delay. */
  | { admitted: false; retryAfterMs: number };

export function createAuthThrottle(deps: { clock: Clock; limits?: Partial<ThrottleLimits> }) {
  const { clock } = deps;
  const limits = { ...DEFAULT_THROTTLE_LIMITS, ...deps.limits };
  const burstMs = limits.burst * limits.intervalMs;
  /**
   * Per address, the time at which its bucket is full again; an address whose time has passed
   * is as good as unknown and may be forgotten. Insertion order is recency order (LRU).
   */
  const fullAt = new Map<string, number>();

  /** Drops idle addresses from the least recently active end, as far as they are idle. */
  function forgetIdle(now: number): void {
    for (const [address, at] of fullAt) {
      if (at > now) return;
      fullAt.delete(address);
    }
  }

  return {
    /**
     * Call before checking credentials from `address`. Reserves a failure slot up front, so that
     * concurrent attempts (all checked before any of them failed) cannot overrun the bucket.
     */
    admit(address: string): Admission {
      const now = clock.now().getTime();
      forgetIdle(now);
      const current = Math.max(fullAt.get(address) ?? now, now);
      const after = current + limits.intervalMs;
      const waitMs = after - now - burstMs;
      // Refused or not, the address was active just now: it is the last to be forgotten.
      fullAt.delete(address);
      if (waitMs > limits.maxDelayMs) {
        fullAt.set(address, current);
        return { admitted: false, retryAfterMs: waitMs };
      }
      fullAt.set(address, after);
      if (fullAt.size > limits.maxAddresses) {
        const oldest = fullAt.keys().next().value;
        if (oldest !== undefined) fullAt.delete(oldest);
      }
      return { admitted: true, ticket: { address, answerFailureAt: now + Math.max(0, waitMs) } };
    },

    /** The check succeeded: the reserved slot is given back, and the answer goes out at once. */
    succeeded(ticket: ThrottleTicket): void {
      const at = fullAt.get(ticket.address);
      if (at === undefined) return;
      const refunded = at - limits.intervalMs;
      if (refunded <= clock.now().getTime()) fullAt.delete(ticket.address);
      else fullAt.set(ticket.address, refunded);
    },

    /** The check failed: resolves when the failure may be answered. */
    failed(ticket: ThrottleTicket): Promise<void> {
      const waitMs = ticket.answerFailureAt - clock.now().getTime();
      if (waitMs <= 0) return Promise.resolve();
      return new Promise((resolve) => clock.setTimeout(resolve, waitMs));
    },

    /** How many addresses are remembered (for the memory bound's tests). */
    size: () => fullAt.size,
  };
}

/** Whole seconds for a Retry-After header, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
