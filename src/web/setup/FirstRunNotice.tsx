// First-run mode of the dashboard: while the Manager reports that it has no configuration yet,
// an admin is taken to the setup assistant (once per session, so the rest of the dashboard stays
// reachable) and everyone else is told that an admin has to set the Manager up.
/** @jsxImportSource preact */
import { useEffect, useRef } from "preact/hooks";
import type { Route } from "../router";
import { useCan } from "../auth/Permitted";
import { useStore } from "../store";
import { useApp } from "../ui/context";
import { Link } from "../ui/widgets";

export function FirstRunNotice({ route }: { route: Route }) {
  const { state, router } = useApp();
  const firstRun = useStore(state.configuration)?.isFirstRun === true;
  const maySetUp = useCan("changeSettings");
  const redirected = useRef(false);
  useEffect(() => {
    if (!firstRun || !maySetUp || redirected.current) return;
    redirected.current = true;
    if (route.view !== "setup") router.go({ view: "setup" }, { replace: true });
  }, [firstRun, maySetUp]);

  if (!firstRun || route.view === "setup") return null;
  return (
    <p class="first-run-notice" role="status">
      The Manager is not configured yet (shared storage and Blender).{" "}
      {maySetUp ? (
        <Link to={{ view: "setup" }}>Run the setup assistant</Link>
      ) : (
        "Please ask an admin to run the setup assistant."
      )}
    </p>
  );
}
