// What the signed-in role may do, for components: a hook, a wrapper that leaves out controls the
// role cannot use, and one that shows them disabled with the reason as a tooltip (for controls
// that also display data, such as a form holding the current values).
/** @jsxImportSource preact */
import type { ComponentChildren } from "preact";
import { useStore } from "../store";
import { useApp } from "../ui/context";
import { deniedReason, roleAllows, type Action } from "./permissions";

export function useCan(action: Action): boolean {
  const state = useStore(useApp().auth.state);
  return state.kind === "signed-in" && roleAllows(state.session.role, action);
}

export function IfAllowed({ action, children }: { action: Action; children: ComponentChildren }) {
  return useCan(action) ? <>{children}</> : null;
}

/** A disabled fieldset disables every control inside it, whatever component renders them. */
export function Permitted({ action, children }: { action: Action; children: ComponentChildren }) {
  const allowed = useCan(action);
  return (
    <fieldset class="permitted" disabled={!allowed} title={allowed ? undefined : deniedReason(action)}>
      {children}
    </fieldset>
  );
}
