// Entry point of the dashboard: connects to the Manager's live events and renders the app.
/** @jsxImportSource preact */
import { render } from "preact";
import { createLiveConnection } from "./live";
import { createBrowserRouter } from "./router";
import { createAppState } from "./state";
import { createStore } from "./store";
import { App } from "./ui/App";
import { AppContext } from "./ui/context";
import "./styles.css";

/** How often relative times ("12 s ago") are refreshed. */
const CLOCK_TICK_MS = 5000;

const live = createLiveConnection({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
});
const state = createAppState(live);
const router = createBrowserRouter();
const now = createStore(Date.now());
setInterval(() => now.set(Date.now()), CLOCK_TICK_MS);
live.start();

render(
  <AppContext.Provider value={{ state, router, now }}>
    <App />
  </AppContext.Provider>,
  document.getElementById("app")!,
);
