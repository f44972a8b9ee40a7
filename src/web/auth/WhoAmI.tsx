// The header's account corner: who the dashboard acts as, with which role and how the Manager
// knows it, and a sign-out button for a signed-in session (network trust has nothing to end).
/** @jsxImportSource preact */
import { useStore } from "../store";
import { useApp } from "../ui/context";
import type { Session } from "./auth-api";

const VIA: Record<Session["via"], string> = {
  session: "signed in with a token",
  token: "API token",
  network: "trusted network",
  none: "no credentials",
};

export function WhoAmI() {
  const { auth, state } = useApp();
  const current = useStore(auth.state);
  if (current.kind !== "signed-in") return null;
  const { name, role, via } = current.session;
  return (
    <span class="who" data-role={role} data-via={via} title={`${name}: ${role}, ${VIA[via]}`}>
      <span class="who-name">{name}</span> <span class={`role role-${role}`}>{role}</span>{" "}
      <span class="hint">({VIA[via]})</span>
      {via === "session" && (
        <button
          type="button"
          class="link-button"
          onClick={() => void state.attempt("sign out", () => auth.signOut())}
        >
          Sign out
        </button>
      )}
    </span>
  );
}
