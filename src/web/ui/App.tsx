// The page shell: header with navigation (what the role may open), farm status, connection
// state and who is signed in, the current view, and the notification footer.
/** @jsxImportSource preact */
import { useCan } from "../auth/Permitted";
import { TokensView } from "../auth/TokensView";
import { WhoAmI } from "../auth/WhoAmI";
import { JobsView } from "../jobs/JobsView";
import { LastRenderedView } from "../last-rendered/LastRenderedView";
import { SettingsView } from "../settings/SettingsView";
import { FirstRunNotice } from "../setup/FirstRunNotice";
import { SetupAssistant } from "../setup/SetupAssistant";
import { ShamanView } from "../shaman/ShamanView";
import type { Route } from "../router";
import { useStore } from "../store";
import { TagsView } from "../tags/TagsView";
import { WorkersView } from "../workers/WorkersView";
import { useApp } from "./context";
import { ConnectionBanner, ConnectionIndicator, PendingIndicator, VersionLinks } from "./ConnectionBanner";
import { NotificationBar } from "./NotificationBar";
import { Link } from "./widgets";

const NAV: { view: Route["view"]; label: string }[] = [
  { view: "jobs", label: "Jobs" },
  { view: "workers", label: "Workers" },
  { view: "tags", label: "Tags" },
  { view: "last-rendered", label: "Last Rendered" },
];
/** Only admins see the Tokens page in the navigation (others reaching its URL are told why not). */
const ADMIN_NAV = { view: "tokens", label: "Tokens" } as const;
const SETTINGS_NAV = { view: "settings", label: "Settings" } as const;
const SHAMAN_NAV = { view: "shaman", label: "Shaman" } as const;

function FarmStatusIndicator() {
  const { farmStatus, reachable } = useApp().state;
  const known = useStore(farmStatus);
  // The last status heard is no status at all once the Manager is away.
  const status = useStore(reachable) ? known : "unknown";
  return (
    <span class={`farm-status farm-${status}`} data-status={status}>
      Farm: <strong>{status}</strong>
    </span>
  );
}

function CurrentView({ route }: { route: Route }) {
  switch (route.view) {
    case "jobs":
      return <JobsView jobId={route.jobId} taskId={route.taskId} />;
    case "workers":
      return <WorkersView workerId={route.workerId} />;
    case "tags":
      return <TagsView />;
    case "last-rendered":
      return <LastRenderedView />;
    case "tokens":
      return <TokensView />;
    case "settings":
      return <SettingsView />;
    case "setup":
      return <SetupAssistant />;
    case "shaman":
      return <ShamanView />;
  }
}

export function App() {
  const { router, state } = useApp();
  const route = useStore(router.route);
  const name = useStore(state.managerName);
  const reachable = useStore(state.reachable);
  const tokensNav = useCan("manageTokens") ? [...NAV, ADMIN_NAV] : NAV;
  const settingsNav = useCan("changeSettings") ? [...tokensNav, SETTINGS_NAV] : tokensNav;
  const nav = useCan("viewShaman") ? [...settingsNav, SHAMAN_NAV] : settingsNav;
  return (
    <div class="shell">
      <header class="header">
        <span class="brand" title={name}>
          Tablao{name && name !== "Tablao" ? ` · ${name}` : ""}
        </span>
        <nav class="nav">
          {nav.map((n) => (
            <Link key={n.view} to={{ view: n.view }} class={route.view === n.view ? "active" : ""}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span class="indicators">
          <PendingIndicator />
          <FarmStatusIndicator />
          <ConnectionIndicator />
          <VersionLinks />
          <WhoAmI />
        </span>
      </header>
      <main class={reachable ? "main" : "main stale"} aria-busy={!reachable}>
        <ConnectionBanner />
        <FirstRunNotice route={route} />
        {/* A disabled fieldset turns off every action of the view while its data is stale. */}
        <fieldset class="stale-guard" disabled={!reachable}>
          <CurrentView route={route} />
        </fieldset>
      </main>
      <NotificationBar />
    </div>
  );
}
