// Entry point of the dashboard: finds out who this browser is, then shows the login page or
// the app, which connects to the Manager's live events.
/** @jsxImportSource preact */
import { render } from "preact";
import { SessionGate } from "./auth/SessionGate";
import { createAuth } from "./auth/session";
import { createBrowserRouter } from "./router";
import { createStore } from "./store";
import "./styles.css";

/** How often relative times ("12 s ago") are refreshed. */
const CLOCK_TICK_MS = 5000;

const auth = createAuth();
const router = createBrowserRouter();
const now = createStore(Date.now());
setInterval(() => now.set(Date.now()), CLOCK_TICK_MS);
void auth.check();

render(
  <SessionGate
    auth={auth}
    router={router}
    now={now}
    liveUrl={`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`}
  />,
  document.getElementById("app")!,
);
