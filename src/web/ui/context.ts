// The app context every component reads: shared state, the router, a ticking clock and the session.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Auth } from "../auth/session";
import type { Router } from "../router";
import type { AppState } from "../state";
import type { Store } from "../store";

export interface AppContextValue {
  state: AppState;
  router: Router;
  /** Milliseconds since the epoch, refreshed periodically so relative times stay true. */
  now: Store<number>;
  auth: Auth;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error("useApp() outside of <AppContext.Provider>");
  return ctx;
}
