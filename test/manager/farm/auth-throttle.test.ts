import { describe, expect, test } from "bun:test";
import {
  createAuthThrottle,
  FAILED_AUTH_BURST,
  FAILED_AUTH_INTERVAL_MS,
  FAILED_AUTH_MAX_DELAY_MS,
  retryAfterSeconds,
  type Admission,
  type ThrottleTicket,
} from "../../../src/manager/farm/auth-throttle";
import { FakeClock } from "../../support/fake-clock";

const A = "192.0.2.1";
const B = "192.0.2.2";

function setup(limits?: Parameters<typeof createAuthThrottle>[0]["limits"]) {
  const clock = new FakeClock();
  const throttle = createAuthThrottle({ clock, limits });
  const ticket = (admission: Admission): ThrottleTicket => {
    if (!admission.admitted) throw new Error(`refused, retry after ${admission.retryAfterMs} ms`);
    return admission.ticket;
  };
  /** Milliseconds until the failure of an attempt admitted now may be answered. */
  const failNow = (address = A) => ticket(throttle.admit(address)).answerFailureAt - clock.now().getTime();
  return { clock, throttle, ticket, failNow };
}

/** Whether `promise` has settled, after letting pending callbacks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Bun.sleep(0);
  return done;
}

describe("createAuthThrottle", () => {
  test("a burst of failures is answered at once, then each waits one interval longer", () => {
    const { failNow } = setup();
    for (let i = 0; i < FAILED_AUTH_BURST; i++) expect(failNow()).toBe(0);
    expect(failNow()).toBe(FAILED_AUTH_INTERVAL_MS);
    expect(failNow()).toBe(2 * FAILED_AUTH_INTERVAL_MS);
    expect(failNow()).toBe(3 * FAILED_AUTH_INTERVAL_MS);
  });

  test("a failure is answered only after its delay (fake clock)", async () => {
    const { clock, throttle, ticket } = setup({ burst: 0 });
    const answered = throttle.failed(ticket(throttle.admit(A)));
    expect(await settled(answered)).toBe(false);
    clock.advance(FAILED_AUTH_INTERVAL_MS - 1);
    expect(await settled(answered)).toBe(false);
    clock.advance(1);
    expect(await settled(answered)).toBe(true);
  });

  test("once the queue of waiting failures is full, attempts are refused with a Retry-After", () => {
    const { throttle, failNow } = setup();
    const admitted = FAILED_AUTH_BURST + FAILED_AUTH_MAX_DELAY_MS / FAILED_AUTH_INTERVAL_MS;
    for (let i = 0; i < admitted; i++) failNow();
    const refused = throttle.admit(A);
    expect(refused).toEqual({
      admitted: false,
      retryAfterMs: FAILED_AUTH_MAX_DELAY_MS + FAILED_AUTH_INTERVAL_MS,
    });
    // A refusal reserves nothing: asking again gives the same answer.
    expect(throttle.admit(A)).toEqual(refused);
    expect(retryAfterSeconds(FAILED_AUTH_MAX_DELAY_MS + FAILED_AUTH_INTERVAL_MS)).toBe(31);
  });

  test("checked failures never outrun the refill rate, however fast they are tried", () => {
    const { clock, throttle } = setup();
    let checked = 0;
    const minutes = 3;
    for (let ms = 0; ms < minutes * 60_000; ms += 10) {
      for (let i = 0; i < 5; i++) if (throttle.admit(A).admitted) checked++;
      clock.advance(10);
    }
    const bound =
      FAILED_AUTH_BURST +
      FAILED_AUTH_MAX_DELAY_MS / FAILED_AUTH_INTERVAL_MS +
      (minutes * 60_000) / FAILED_AUTH_INTERVAL_MS;
    expect(checked).toBeLessThanOrEqual(bound);
    expect(checked).toBeGreaterThan(bound - 2);
  });

  test("a success gives its reserved slot back", () => {
    const { throttle, ticket, failNow } = setup();
    for (let i = 0; i < 100; i++) throttle.succeeded(ticket(throttle.admit(A)));
    for (let i = 0; i < FAILED_AUTH_BURST; i++) expect(failNow()).toBe(0);
    expect(failNow()).toBe(FAILED_AUTH_INTERVAL_MS);
  });

  test("addresses are throttled independently", () => {
    const { throttle, failNow } = setup({ burst: 1, maxDelayMs: 0 });
    failNow(A);
    expect(throttle.admit(A).admitted).toBe(false);
    expect(failNow(B)).toBe(0);
  });

  test("time refills the bucket, and an idle address is forgotten", () => {
    const { clock, throttle, failNow } = setup();
    for (let i = 0; i < FAILED_AUTH_BURST + 5; i++) failNow();
    clock.advance(5 * FAILED_AUTH_INTERVAL_MS);
    expect(failNow()).toBe(FAILED_AUTH_INTERVAL_MS);
    expect(throttle.size()).toBe(1);
    clock.advance((FAILED_AUTH_BURST + 1) * FAILED_AUTH_INTERVAL_MS);
    expect(failNow(B)).toBe(0);
    expect(throttle.size()).toBe(1);
    for (let i = 0; i < FAILED_AUTH_BURST; i++) expect(failNow()).toBe(0);
  });

  test("at most maxAddresses are remembered; the least recently active is forgotten first", () => {
    const { throttle, failNow } = setup({ burst: 1, maxDelayMs: 0, maxAddresses: 3 });
    for (const address of ["a", "b", "c"]) failNow(address);
    expect(throttle.admit("a").admitted).toBe(false);
    failNow("d");
    expect(throttle.size()).toBe(3);
    // "a" was tried last of the old three, so "b" went.
    expect(throttle.admit("a").admitted).toBe(false);
    expect(throttle.admit("b").admitted).toBe(true);
  });
});
