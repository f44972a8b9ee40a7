// Running one action on many selected rows: one request per row, a few at a time, and a single
// report of what failed, so forty rows neither flood the Manager nor the notification line.

/** Requests in flight at once for one bulk action: enough to be quick, few enough to be gentle. */
const BULK_CONCURRENCY = 4;
/** How many failures the report names before summarising the rest as a count. */
const BULK_FAILURES_NAMED = 3;

export interface BulkFailure {
  name: string;
  message: string;
}

/** Runs `act` for every item, at most BULK_CONCURRENCY at once; resolves to the failures. */
export async function runBulk<T>(
  items: readonly T[],
  name: (item: T) => string,
  act: (item: T) => Promise<unknown>,
  concurrency = BULK_CONCURRENCY,
): Promise<BulkFailure[]> {
  const failures: BulkFailure[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await act(item);
      } catch (err) {
        failures.push({ name: name(item), message: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return failures;
}

/** "Could not requeue 2 of 40 tasks: a: gone; b: gone", or null when all went through. */
export function bulkFailureMessage(
  what: string,
  total: number,
  noun: string,
  failures: readonly BulkFailure[],
): string | null {
  if (failures.length === 0) return null;
  const named = failures.slice(0, BULK_FAILURES_NAMED).map((f) => `${f.name}: ${f.message}`);
  const more = failures.length - named.length;
  return (
    `Could not ${what} ${failures.length} of ${total} ${noun}: ${named.join("; ")}` +
    (more > 0 ? ` (and ${more} more)` : "")
  );
}
