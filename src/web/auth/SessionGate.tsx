// The root of the page: the login page, or the app for a signed-in session. The app's state and
// live connection are made per sign-in and dropped at sign-out, so nothing of one session (its
// data, its socket, its subscriptions) outlives it.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { createLiveConnection } from "../live";
import type { Router } from "../router";
import { createAppState } from "../state";
import { useStore, type Store } from "../store";
import { App } from "../ui/App";
import { AppContext, type AppContextValue } from "../ui/context";
import { LoginPage } from "./LoginPage";
import type { Auth } from "./session";

interface GateProps {
  auth: Auth;
  router: Router;
  now: Store<number>;
  liveUrl: string;
}

function SignedInApp({ auth, router, now, liveUrl }: GateProps) {
  const [ctx] = useState<AppContextValue>(() => {
    // A refused live connection may mean the session ended: ask, and the login page follows.
    const live = createLiveConnection({ url: liveUrl, onRefused: () => void auth.check() });
    return { state: createAppState(live), router, now, auth };
  });
  useEffect(() => {
    ctx.state.live.start();
    return () => ctx.state.live.stop();
  }, []);
  return (
    <AppContext.Provider value={ctx}>
      <App />
    </AppContext.Provider>
  );
}

export function SessionGate(props: GateProps) {
  const state = useStore(props.auth.state);
  switch (state.kind) {
    case "checking":
      return (
        <main class="login">
          <p class="hint" role="status">
            {state.problem ? `Cannot reach the Manager (${state.problem}); retrying…` : "Connecting…"}
          </p>
        </main>
      );
    case "signed-out":
      return <LoginPage auth={props.auth} notice={state.notice} />;
    case "signed-in":
      return <SignedInApp key={state.epoch} {...props} />;
  }
}
