// Waiting the worker's way: abortable sleeps, jittered poll intervals and doubling back-off.
import { POLL_JITTER_FRACTION } from "./constants";

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). True when the full time passed. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `ms` moved by up to ± POLL_JITTER_FRACTION of itself (3 s → [2.7 s, 3.3 s)). */
export function jitter(ms: number, random: () => number = Math.random): number {
  const spread = ms * POLL_JITTER_FRACTION;
  return Math.round(ms - spread + random() * 2 * spread);
}

/** A delay that doubles on every failure up to a maximum, and starts over after a success. */
export class Backoff {
  private next: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.next = minMs;
  }

  /** The delay to wait now; the one after it is twice as long (capped). */
  failed(): number {
    const delay = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return delay;
  }

  reset(): void {
    this.next = this.minMs;
  }
}
