// The dashboard's list table, shared by jobs, tasks and workers: sorting by a column header
// (with `aria-sort`), a status filter of chips with counts, row checkboxes with shift-click ranges
// and a "select all shown" box, and a bar for the actions on the ticked rows. The views supply
// the columns and the actions; selection follows live updates and forgets rows that vanish.
/** @jsxImportSource preact */
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useApp } from "../context";
import { ConfirmButton } from "../widgets";
import { bulkFailureMessage, runBulk } from "./bulk";
import { keptShown, rangeToggled, toggled } from "./selection";
import { ariaSort, nextSort, sortRows, type SortDirection, type SortState, type SortValue } from "./sorting";

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  /** The row's sort key; a column without one cannot be sorted. */
  sortValue?: (row: T) => SortValue;
  /** The direction of the first click: newest or highest first reads best for times and numbers. */
  firstDir?: SortDirection;
  class?: string;
}

/** What a toolbar needs to act on the ticked rows. */
export interface Selection<T> {
  /** Ticked and shown, in the order shown. */
  selected: T[];
  /** Shown (filtered and sorted). */
  shown: T[];
  select: (ids: Iterable<string>) => void;
  clear: () => void;
}

export interface Noun {
  one: string;
  many: string;
}

function StatusFilter(props: {
  order: readonly string[];
  counts: ReadonlyMap<string, number>;
  shown: ReadonlySet<string>;
  onChange: (shown: Set<string>) => void;
}) {
  // A chosen status stays offered after its last row left, so it can be switched off again.
  const offered = props.order.filter((s) => props.counts.has(s) || props.shown.has(s));
  const toggle = (s: string) => props.onChange(toggled(props.shown, s, !props.shown.has(s)));
  return (
    <div class="status-filter" role="group" aria-label="Filter by status">
      <button
        type="button"
        class={props.shown.size === 0 ? "chip on" : "chip"}
        aria-pressed={props.shown.size === 0}
        onClick={() => props.onChange(new Set())}
      >
        all
      </button>
      {offered.map((s) => (
        <button
          type="button"
          key={s}
          data-status={s}
          class={`chip status-${s} ${props.shown.has(s) ? "on" : ""}`}
          aria-pressed={props.shown.has(s)}
          onClick={() => toggle(s)}
        >
          {s} <span class="count">{props.counts.get(s) ?? 0}</span>
        </button>
      ))}
    </div>
  );
}

function SortHeader<T>(props: { column: Column<T>; sort: SortState; onSort: (s: SortState) => void }) {
  const { column, sort } = props;
  const cls = column.class;
  if (!column.sortValue) return <th class={cls}>{column.label}</th>;
  const state = ariaSort(sort, column.key);
  return (
    <th class={cls} aria-sort={state}>
      <button
        type="button"
        class="sort-button"
        onClick={() => props.onSort(nextSort(sort, column.key, column.firstDir ?? "asc"))}
      >
        {column.label}
        <span class="sort-indicator" aria-hidden="true">
          {state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕"}
        </span>
      </button>
    </th>
  );
}

function SelectAll(props: { all: boolean; some: boolean; label: string; onChange: (on: boolean) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = props.some && !props.all;
  }, [props.some, props.all]);
  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label={props.label}
      checked={props.all}
      onChange={(e) => props.onChange(e.currentTarget.checked)}
    />
  );
}

export function DataTable<T extends { id: string }>(props: {
  label: string;
  noun: Noun;
  nameOf: (row: T) => string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  initialSort: SortState;
  statusOf: (row: T) => string;
  statusOrder: readonly string[];
  /** Whether rows can be ticked: only when the caller's role allows some action on them. */
  selectable: boolean;
  /** The row the page is about (the route's), highlighted. */
  focusedId?: string;
  rowAttrs: (row: T) => Record<string, string>;
  toolbar?: (selection: Selection<T>) => ComponentChildren;
  empty: string;
}) {
  const [sort, setSort] = useState(props.initialSort);
  const [statuses, setStatuses] = useState<Set<string>>(new Set());
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const [anchor, setAnchor] = useState<string>();

  const { rows, statusOf, columns } = props;
  const counts = useMemo(() => {
    const c = new Map<string, number>();
    for (const r of rows) {
      const s = statusOf(r);
      c.set(s, (c.get(s) ?? 0) + 1);
    }
    return c;
  }, [rows, statusOf]);
  const shown = useMemo(() => {
    const filtered = statuses.size ? rows.filter((r) => statuses.has(statusOf(r))) : rows;
    const sortValue = columns.find((c) => c.key === sort.key)?.sortValue;
    return sortValue ? sortRows(filtered, sortValue, sort.dir) : [...filtered];
  }, [rows, statusOf, columns, statuses, sort]);
  const shownIds = useMemo(() => shown.map((r) => r.id), [shown]);

  // Rows deleted or filtered away leave the selection for good.
  useEffect(() => setChecked((cur) => keptShown(cur, new Set(shownIds))), [shownIds]);

  const selected = shown.filter((r) => checked.has(r.id));
  const selection: Selection<T> = {
    selected,
    shown,
    select: (ids) => setChecked(new Set([...checked, ...ids])),
    clear: () => setChecked(new Set()),
  };
  const check = (id: string, on: boolean, range: boolean) => {
    setChecked(range ? rangeToggled(checked, shownIds, anchor, id, on) : toggled(checked, id, on));
    setAnchor(id);
  };

  return (
    <>
      <StatusFilter order={props.statusOrder} counts={counts} shown={statuses} onChange={setStatuses} />
      {props.selectable && (
        <div class="toolbar bulk-bar" role="toolbar" aria-label={`Actions on selected ${props.noun.many}`}>
          <span class="hint selected-count" aria-live="polite">
            {selected.length} selected
          </span>
          {props.toolbar?.(selection)}
          {selected.length > 0 && (
            <button type="button" class="link-button" onClick={selection.clear}>
              clear selection
            </button>
          )}
        </div>
      )}
      <div class="table-scroll">
        <table class="table data-table" aria-label={props.label}>
          <thead>
            <tr>
              {props.selectable && (
                <th class="col-check">
                  <SelectAll
                    all={shown.length > 0 && selected.length === shown.length}
                    some={selected.length > 0}
                    label={`Select all shown ${props.noun.many}`}
                    onChange={(on) => setChecked(on ? new Set(shownIds) : new Set())}
                  />
                </th>
              )}
              {columns.map((c) => (
                <SortHeader key={c.key} column={c} sort={sort} onSort={setSort} />
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const ticked = checked.has(r.id);
              const cls = [r.id === props.focusedId && "selected", ticked && "ticked"].filter(Boolean);
              return (
                <tr key={r.id} {...props.rowAttrs(r)} class={cls.join(" ")}>
                  {props.selectable && (
                    <td class="col-check">
                      <input
                        type="checkbox"
                        aria-label={`Select ${props.noun.one} ${props.nameOf(r)}`}
                        checked={ticked}
                        onClick={(e) => check(r.id, e.currentTarget.checked, e.shiftKey)}
                      />
                    </td>
                  )}
                  {columns.map((c) => (
                    <td key={c.key} class={c.class}>
                      {c.render(r)}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        {shown.length === 0 && (
          <p class="hint empty">{rows.length ? `No ${props.noun.many} with these statuses.` : props.empty}</p>
        )}
      </div>
    </>
  );
}

/**
 * Runs an action on many rows (BULK_CONCURRENCY at a time) and reports every failure in one
 * notification; `busy` is true meanwhile, so the bar's buttons can wait for it.
 */
export function useBulk<T>(noun: Noun, nameOf: (row: T) => string) {
  const { notifications } = useApp().state;
  const [busy, setBusy] = useState(false);
  const run = async (what: string, rows: readonly T[], act: (row: T) => Promise<unknown>) => {
    setBusy(true);
    try {
      const failures = await runBulk(rows, nameOf, act);
      const message = bulkFailureMessage(
        what,
        rows.length,
        rows.length === 1 ? noun.one : noun.many,
        failures,
      );
      if (message) notifications.add(message);
      return failures.length === 0;
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

/** A bar button acting on the eligible part of the selection; "Requeue (3)". */
export function BulkButton(props: {
  label: string;
  eligible: number;
  busy: boolean;
  onRun: () => void;
  title?: string;
}) {
  return (
    <button
      type="button"
      disabled={props.busy || props.eligible === 0}
      title={props.title}
      onClick={props.onRun}
    >
      {props.label} ({props.eligible})
    </button>
  );
}

/** The destructive variant: a second click confirms, naming how many rows it will delete. */
export function BulkDeleteButton(props: { eligible: number; busy: boolean; onRun: () => void }) {
  return (
    <ConfirmButton
      label={`Delete (${props.eligible})`}
      confirmLabel={`Really delete ${props.eligible}?`}
      disabled={props.busy || props.eligible === 0}
      onConfirm={props.onRun}
    />
  );
}
