// Small presentational pieces shared by the views: status badges, links, relative times,
// progress bars and two-step confirmation buttons.
/** @jsxImportSource preact */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { fullTime, progressPercent, timeAgo } from "../format";
import { routePath, type Route } from "../router";
import { useStore } from "../store";
import { useApp } from "./context";

/** How long a confirmation button waits for the second click. */
const CONFIRM_WINDOW_MS = 4000;

export function StatusBadge({ status }: { status: string }) {
  return <span class={`status status-${status || "none"}`}>{status || "—"}</span>;
}

export function Link({
  to,
  children,
  class: cls,
}: {
  to: Route;
  children: ComponentChildren;
  class?: string;
}) {
  const { router } = useApp();
  return (
    <a
      class={cls}
      href={routePath(to)}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        router.go(to);
      }}
    >
      {children}
    </a>
  );
}

export function TimeAgo({ iso }: { iso: string | undefined }) {
  const now = useStore(useApp().now);
  return (
    <time dateTime={iso} title={fullTime(iso)}>
      {timeAgo(iso, now)}
    </time>
  );
}

export function Progress({ done, total }: { done: number; total: number }) {
  const pct = progressPercent(done, total);
  return (
    <span class="progress" title={`${done} of ${total} steps`}>
      <span class="progress-bar">
        <span class="progress-fill" style={{ width: `${pct}%` }} />
      </span>
      <span class="progress-text">
        {done}/{total}
      </span>
    </span>
  );
}

/** A button that asks "Sure?" on the first click and acts on the second. */
export function ConfirmButton(props: {
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  class?: string;
}) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const t = setTimeout(() => setArmed(false), CONFIRM_WINDOW_MS);
    return () => clearTimeout(t);
  }, [armed]);
  return (
    <button
      type="button"
      class={`${props.class ?? ""} ${armed ? "danger armed" : "danger"}`}
      disabled={props.disabled}
      onClick={() => {
        if (!armed) return setArmed(true);
        setArmed(false);
        props.onConfirm();
      }}
    >
      {armed ? props.confirmLabel : props.label}
    </button>
  );
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/**
 * A form handled in the page: submitting it (its button or Enter) calls `onSubmit` when
 * `canSubmit`, and never loads a page.
 */
export function Form({
  canSubmit,
  onSubmit,
  children,
  ...attrs
}: {
  class: string;
  "aria-label": string;
  canSubmit: boolean;
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      {...attrs}
      onSubmit={(e) => {
        e.preventDefault();
        if (canSubmit) onSubmit();
      }}
    >
      {children}
    </form>
  );
}

/** A one-line text field whose every edit goes to `onValue`. */
export function TextInput({
  label,
  onValue,
  ...attrs
}: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  placeholder?: string;
  disabled?: boolean;
  title?: string;
}) {
  return <input type="text" aria-label={label} {...attrs} onInput={(e) => onValue(e.currentTarget.value)} />;
}

/**
 * A button for a call to the Manager: disabled and spinning while its call runs, so a slow
 * answer is not taken for a dead button (nor clicked again).
 */
export function BusyButton(props: {
  label: string;
  onClick: () => Promise<unknown>;
  disabled?: boolean;
  class?: string;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class={`${props.class ?? ""} ${busy ? "busy" : ""}`}
      aria-busy={busy}
      disabled={props.disabled || busy}
      onClick={() => {
        setBusy(true);
        void props.onClick().finally(() => setBusy(false));
      }}
    >
      {props.label}
    </button>
  );
}
