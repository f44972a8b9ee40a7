// Client-side routes under /app/: parse and format them, and follow the browser history.
import { createStore, type Store } from "./store";

export const APP_BASE = "/app";

export type Route =
  | { view: "jobs"; jobId?: string; taskId?: string }
  | { view: "workers"; workerId?: string }
  | { view: "tags" }
  | { view: "last-rendered" }
  | { view: "tokens" }
  | { view: "settings" }
  | { view: "setup" }
  | { view: "shaman" };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(APP_BASE) ? pathname.slice(APP_BASE.length) : pathname;
  const [view, a, b] = rest.split("/").filter(Boolean).map(decodeURIComponent);
  switch (view) {
    case "workers":
      return { view: "workers", workerId: a };
    case "tags":
      return { view: "tags" };
    case "last-rendered":
      return { view: "last-rendered" };
    case "tokens":
      return { view: "tokens" };
    case "settings":
      return { view: "settings" };
    case "setup":
      return { view: "setup" };
    case "shaman":
      return { view: "shaman" };
    case "jobs":
      return { view: "jobs", jobId: a, taskId: a ? b : undefined };
    default:
      return { view: "jobs" };
  }
}

export function routePath(route: Route): string {
  const seg = (...parts: (string | undefined)[]) =>
    [APP_BASE, ...parts.filter((p): p is string => !!p).map(encodeURIComponent)].join("/");
  switch (route.view) {
    case "jobs":
      return seg("jobs", route.jobId, route.jobId ? route.taskId : undefined);
    case "workers":
      return seg("workers", route.workerId);
    case "tags":
      return seg("tags");
    case "last-rendered":
      return seg("last-rendered");
    case "tokens":
      return seg("tokens");
    case "settings":
      return seg("settings");
    case "setup":
      return seg("setup");
    case "shaman":
      return seg("shaman");
  }
}

export interface Router {
  readonly route: Store<Route>;
  go(route: Route, opts?: { replace?: boolean }): void;
}

export function createBrowserRouter(): Router {
  const route = createStore(parseRoute(location.pathname));
  window.addEventListener("popstate", () => route.set(parseRoute(location.pathname)));
  return {
    route,
    go(next, opts = {}) {
      const path = routePath(next);
      if (path !== location.pathname) {
        if (opts.replace) history.replaceState(null, "", path);
        else history.pushState(null, "", path);
      }
      route.set(next);
    },
  };
}
