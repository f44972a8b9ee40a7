// The HTTP edge: Bun.serve with the Manager's app, the /ws WebSocket upgrade, and the client's
// TCP address handed to the app as a binding (so the app itself needs no Bun API). /ws is one of
// Bun's own routes, so other requests do not pay for parsing their URL to tell them apart, and
// the peer address is looked up only by the few handlers that read it.
import type { Server } from "bun";
import { MAX_REQUEST_BODY_BYTES } from "./api/http";
import type { ServedRoute } from "./auth/access";
import type { Role } from "./auth/roles";
import { WS_PATH, type WsData } from "./events/forwarders/websocket";
import type { Manager } from "./manager";
import { SHAMAN_UPLOAD_MAX_BYTES } from "./shaman/limits";

/** The event stream tells what the dashboard shows: viewers may listen. */
export const WS_ACCESS: Role = "viewer";
/** Long enough for a slow upload; WebSockets have their own keep-alive. */
export const HTTP_IDLE_TIMEOUT_S = 120;

export function serveManager(
  manager: Pick<Manager, "app" | "webSocket" | "access">,
  listen: { hostname: string; port: number },
): Server<WsData> {
  return Bun.serve<WsData>({
    hostname: listen.hostname,
    port: listen.port,
    // Shaman uploads stream to disk; every other route keeps its own, smaller limit.
    maxRequestBodySize: Math.max(MAX_REQUEST_BODY_BYTES, SHAMAN_UPLOAD_MAX_BYTES),
    idleTimeout: HTTP_IDLE_TIMEOUT_S,
    routes: {
      [WS_PATH]: (req: Request, server: Server<WsData>) => {
        const peer = server.requestIP(req)?.address;
        return (
          manager.access.refuse(req, peer ?? "", WS_ACCESS) ?? manager.webSocket.upgrade(req, server, peer)
        );
      },
    },
    fetch(req, server) {
      return manager.app.fetch(req, { remoteAddress: () => server.requestIP(req)?.address });
    },
    websocket: manager.webSocket.websocket,
  });
}

/** Everything the Manager serves, with the access each needs: the app's routes and `/ws`. */
export function servedRoutes(manager: Pick<Manager, "app">): ServedRoute[] {
  return [...manager.app.served, { method: "GET", path: WS_PATH, access: WS_ACCESS }];
}
