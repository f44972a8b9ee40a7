// The error a call throws (or its promise rejects with), for tests that then check its fields.

type ClassOf<E> = abstract new (...args: never[]) => E;

/** `err` if it is an instance of `ErrorClass`; otherwise fails the test, naming what came instead. */
function expectInstance<E>(ErrorClass: ClassOf<E>, err: unknown): E {
  if (err instanceof ErrorClass) return err;
  const got = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  throw new Error(`expected ${ErrorClass.name} to be thrown, got ${got}`, { cause: err });
}

/**
 * Runs `fn` and returns what it throws, which must be an instance of `ErrorClass`; fails the
 * test when it throws nothing or something else.
 */
export function thrownBy<E>(ErrorClass: ClassOf<E>, fn: () => unknown): E {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return expectInstance(ErrorClass, err);
  }
  if (result instanceof Promise) {
    // Not awaited here: a rejection would surface later, outside the test's assertions.
    void result.catch(() => {});
    throw new Error(`expected ${ErrorClass.name} to be thrown, but fn returned a promise`);
  }
  throw new Error(`expected ${ErrorClass.name} to be thrown, but nothing was`);
}

/**
 * Awaits `fn()` and returns what it rejects with (or throws), which must be an instance of
 * `ErrorClass`; fails the test when it resolves or fails with something else.
 */
export async function rejectedBy<E>(ErrorClass: ClassOf<E>, fn: () => Promise<unknown>): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return expectInstance(ErrorClass, err);
  }
  throw new Error(`expected ${ErrorClass.name} to be thrown, but nothing was`);
}
