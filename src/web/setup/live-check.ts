// A check that follows what the user types: it runs once typing pauses, shows that it is
// running, and drops answers that arrive for an input the user has since changed.
import { useEffect, useState } from "preact/hooks";

/** Typing pause after which the Manager is asked; short enough to feel live. */
export const CHECK_DEBOUNCE_MS = 400;

export type LiveCheck<R> =
  | { kind: "idle" }
  | { kind: "checking"; input: string }
  | { kind: "done"; input: string; result: R }
  /** The Manager refused the request itself (e.g. a 400 for a malformed path); `message` says why. */
  | { kind: "failed"; input: string; message: string };

/** Checks `input` (trimmed; nothing for an empty one) with `check`, debounced. */
export function useLiveCheck<R>(input: string, check: (input: string) => Promise<R>): LiveCheck<R> {
  const [state, setState] = useState<LiveCheck<R>>({ kind: "idle" });
  const value = input.trim();
  useEffect(() => {
    if (value === "") {
      setState({ kind: "idle" });
      return;
    }
    let current = true;
    setState({ kind: "checking", input: value });
    const timer = setTimeout(() => {
      check(value).then(
        (result) => current && setState({ kind: "done", input: value, result }),
        (err: unknown) =>
          current &&
          setState({
            kind: "failed",
            input: value,
            message: err instanceof Error ? err.message : String(err),
          }),
      );
    }, CHECK_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [value]);
  return state;
}
