// Who the dashboard acts as: asks the Manager at start, signs in with a token (the Manager turns
// it into an HttpOnly session cookie) and out, and notices when the session ends (a 401 from any
// call, or a refused live connection) so the login page comes back instead of a broken app.
import { ApiRequestError, handleUnauthorized, setCsrfToken } from "../api";
import { reconnectDelayMs } from "../live";
import { createStore, type Store } from "../store";
import { authApi, type Role, type Session } from "./auth-api";

export type SignedInSession = Session & { role: Role };

export type SessionState =
  /** Asking the Manager; `problem` says why the previous attempt failed (it is retried). */
  | { kind: "checking"; problem?: string }
  /** The login page; `notice` says why it is shown again. */
  | { kind: "signed-out"; notice?: string }
  /** `epoch` changes at every sign-in, so the app starts afresh for each session. */
  | { kind: "signed-in"; session: SignedInSession; epoch: number };

export interface Auth {
  readonly state: Store<SessionState>;
  /** Asks the Manager who this browser is; retried with back-off until the first answer. */
  check(): Promise<void>;
  /** Resolves to why it failed, or null once signed in. */
  signIn(token: string): Promise<string | null>;
  /** Rejects when the Manager could not be told (the session would live on). */
  signOut(): Promise<void>;
}

const SIGNED_OUT_NOTICE = "You have signed out.";
/** A browser's 401 has one cause: its cookie no longer opens a session. */
const SESSION_ENDED_NOTICE =
  "Your session has ended: it expired, or was revoked or signed out elsewhere. Please sign in again.";

export function createAuth(): Auth {
  const state = createStore<SessionState>({ kind: "checking" });
  let epoch = 0;
  let failedChecks = 0;

  const signedOut = (notice?: string) => {
    setCsrfToken(undefined);
    state.set({ kind: "signed-out", notice });
  };

  const apply = (session: Session, notice?: string) => {
    if (session.role === null) return signedOut(notice);
    setCsrfToken(session.csrf_token);
    const current = state.get();
    state.set({
      kind: "signed-in",
      session: { ...session, role: session.role },
      epoch: current.kind === "signed-in" ? current.epoch : ++epoch,
    });
  };

  // Calls still in flight from a finished session may answer 401 too: only a live one ends.
  handleUnauthorized(() => {
    if (state.get().kind === "signed-in") signedOut(SESSION_ENDED_NOTICE);
  });

  const check = async () => {
    try {
      const session = await authApi.session();
      failedChecks = 0;
      const wasSignedIn = state.get().kind === "signed-in";
      apply(session, wasSignedIn ? SESSION_ENDED_NOTICE : undefined);
    } catch (err) {
      // Once the app runs it keeps its own retries (the live connection); before that there is
      // nothing to show but the problem, so keep asking.
      if (state.get().kind !== "checking") return;
      state.set({ kind: "checking", problem: err instanceof Error ? err.message : String(err) });
      setTimeout(() => void check(), reconnectDelayMs(failedChecks++));
    }
  };

  return {
    state,
    check,
    async signIn(token) {
      try {
        apply(await authApi.signIn(token));
        return state.get().kind === "signed-in" ? null : "The Manager granted this token no role.";
      } catch (err) {
        return err instanceof ApiRequestError && err.status === 401
          ? `Sign-in failed: ${err.message}`
          : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`;
      }
    },
    async signOut() {
      await authApi.signOut();
      signedOut(SIGNED_OUT_NOTICE);
    },
  };
}
