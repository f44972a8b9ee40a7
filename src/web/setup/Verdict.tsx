// The answer of a live check under its input, read out by screen readers as it changes.
/** @jsxImportSource preact */
import type { LiveCheck } from "./live-check";

export function Verdict<R extends { is_usable: boolean; cause: string }>({
  id,
  check,
}: {
  /** Referenced by the input's aria-describedby. */
  id: string;
  check: LiveCheck<R>;
}) {
  const [cls, text] =
    check.kind === "idle"
      ? ["hint", ""]
      : check.kind === "checking"
        ? ["hint", "Checking…"]
        : check.kind === "failed"
          ? ["check-failed", `The Manager refused the check: ${check.message}`]
          : [check.result.is_usable ? "check-ok" : "check-failed", check.result.cause];
  return (
    <p id={id} class={`verdict ${cls}`} role="status" aria-live="polite" data-kind={check.kind}>
      {text}
    </p>
  );
}
