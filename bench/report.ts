// What the benchmarks (and the reliability suite) share for reporting: the median of rounds,
// quantiles of latencies, and plain-text tables.

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const [lower, upper] = [sorted[mid - 1], sorted[mid]];
  if (upper === undefined) throw new Error("median() of no values");
  return sorted.length % 2 || lower === undefined ? upper : (lower + upper) / 2;
}

/** The value at quantile `q` (0..1) of `values`, nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Columns under a dashed rule: the first `leftAligned` ones padded on the right, the rest on the left. */
export function formatTable(header: string[], rows: string[][], leftAligned = 0): string {
  // A row's missing cells count as empty; cells past the header's columns are not padded.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < leftAligned ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
