// The HTTP edge: Bun.serve with the Manager's app, the /ws WebSocket upgrade, and the client's
// TCP address handed to the app as a binding (so the app itself needs no Bun API).
import type { Server } from "bun";
import { WS_PATH, type WsData } from "./events/forwarders/websocket";
import type { Manager } from "./manager";

/** Uploads (last-rendered images) are the largest bodies; the handler enforces its own limit. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;
/** Long enough for a slow upload; WebSockets have their own keep-alive. */
export const HTTP_IDLE_TIMEOUT_S = 120;

export function serveManager(
  manager: Pick<Manager, "app" | "webSocket">,
  listen: { hostname: string; port: number },
): Server<WsData> {
  return Bun.serve<WsData>({
    hostname: listen.hostname,
    port: listen.port,
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    idleTimeout: HTTP_IDLE_TIMEOUT_S,
    fetch(req, server) {
      if (new URL(req.url).pathname === WS_PATH) return manager.webSocket.upgrade(req, server);
      return manager.app.fetch(req, { remoteAddress: server.requestIP(req)?.address });
    },
    websocket: manager.webSocket.websocket,
  });
}
