// What the header and the banner say about the Manager connection: live, shutting down, or
// unreachable with the time of the data still shown; plus the calls in flight and the version.
/** @jsxImportSource preact */
import { pendingRequests } from "../api";
import { clockTime } from "../format";
import { useStore } from "../store";
import { useApp } from "./context";

/** Shown while the Manager cannot be reached; the views below keep their last data, greyed. */
export function ConnectionBanner() {
  const { reachable, lastContactMs } = useApp().state;
  const up = useStore(reachable);
  const since = useStore(lastContactMs);
  if (up) return null;
  return (
    <p class="connection-banner" role="alert">
      <strong>Manager unreachable</strong> — showing data from {clockTime(since)}. Reconnecting by itself;
      actions are off until it answers.
    </p>
  );
}

export function ConnectionIndicator() {
  const { live, shuttingDown, reachable } = useApp().state;
  const state = useStore(live.state);
  const stopping = useStore(shuttingDown);
  const up = useStore(reachable);
  const [kind, label] = !up
    ? ["unreachable", "Unreachable"]
    : stopping
      ? ["stopping", "Manager shutting down"]
      : state === "open"
        ? ["open", "Live"]
        : ["connecting", "Reconnecting…"];
  return (
    <span class={`connection connection-${kind}`} data-state={kind} title="Live updates">
      {label}
    </span>
  );
}

/** A spinner while any call to the Manager runs, so a slow answer is not taken for a dead button. */
export function PendingIndicator() {
  const pending = useStore(pendingRequests);
  return (
    <span
      class={`pending-requests ${pending > 0 ? "busy" : ""}`}
      role="progressbar"
      aria-label="Requests in progress"
      aria-valuenow={pending}
      title={pending > 0 ? `${pending} request${pending === 1 ? "" : "s"} in progress` : "idle"}
    />
  );
}

/** Tablao's version, the Flamenco version it reports, and the API documentation. */
export function VersionLinks() {
  const version = useStore(useApp().state.version);
  return (
    <span class="version-links">
      {version && (
        <span class="hint" title={version.version}>
          {version.git} · Flamenco {version.shortversion}
        </span>
      )}
      <a href="/api/v3/docs" target="_blank" rel="noreferrer">
        API docs
      </a>
    </span>
  );
}
