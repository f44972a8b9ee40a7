// Which rows of a table are ticked: single toggles, shift-click ranges over the rows as shown,
// and dropping rows that left the table (deleted, or hidden by the filter) so that an action
// never reaches a row the person cannot see.

export function toggled(checked: ReadonlySet<string>, id: string, on: boolean): Set<string> {
  const next = new Set(checked);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}

/**
 * Ticks or unticks every row from the anchor (the previously clicked row) to `id`, both
 * included, in the order shown; without the anchor among the shown rows, only `id`.
 */
export function rangeToggled(
  checked: ReadonlySet<string>,
  shown: readonly string[],
  anchor: string | undefined,
  id: string,
  on: boolean,
): Set<string> {
  const from = anchor === undefined ? -1 : shown.indexOf(anchor);
  const to = shown.indexOf(id);
  if (from < 0 || to < 0) return toggled(checked, id, on);
  const next = new Set(checked);
  for (const rowId of shown.slice(Math.min(from, to), Math.max(from, to) + 1)) {
    if (on) next.add(rowId);
    else next.delete(rowId);
  }
  return next;
}

/** The ticked rows still shown; the same set when none left, so state stays unchanged. */
export function keptShown(checked: ReadonlySet<string>, shown: ReadonlySet<string>): ReadonlySet<string> {
  for (const id of checked) {
    if (!shown.has(id)) return new Set([...checked].filter((c) => shown.has(c)));
  }
  return checked;
}
