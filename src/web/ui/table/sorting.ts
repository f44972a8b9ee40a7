// Ordering table rows by a column: the sort state, its toggling, and a stable comparison that
// keeps rows with equal keys in their given order (so live updates do not shuffle them).

export type SortDirection = "asc" | "desc";

export interface SortState {
  key: string;
  dir: SortDirection;
}

export type SortValue = string | number;

/** Clicking the sorted column flips it; another column starts in its own first direction. */
export function nextSort(current: SortState, key: string, firstDir: SortDirection): SortState {
  if (current.key !== key) return { key, dir: firstDir };
  return { key, dir: current.dir === "asc" ? "desc" : "asc" };
}

export function ariaSort(state: SortState, key: string): "ascending" | "descending" | "none" {
  if (state.key !== key) return "none";
  return state.dir === "asc" ? "ascending" : "descending";
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return collator.compare(String(a), String(b));
}

/** A sorted copy; `value` gives each row's key for the sorted column. */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, dir: SortDirection): T[] {
  const sign = dir === "asc" ? 1 : -1;
  return rows
    .map((row, at) => ({ row, at, key: value(row) }))
    .sort((x, y) => sign * compareValues(x.key, y.key) || x.at - y.at)
    .map((x) => x.row);
}

/** A timestamp as a sort key; a missing or unparsable one sorts as the oldest. */
export function timeKey(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
