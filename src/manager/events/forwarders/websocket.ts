// The native WebSocket forwarder (Flamenco's SocketIO replacement) at `/ws`: rooms named after
// topics, the subscription protocol, keep-alive pings, batched writes, and backpressure so a
// client that stops reading is closed instead of buffering forever.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { type Clock, systemClock } from "../../../shared/clock";
import { createLogger, type Logger } from "../../../shared/log";
import type { Forwarder, PublishedEvent } from "../broker";
import { AUTO_JOINED_ROOMS, ackFrame, interpretClientMessage } from "./subscriptions";

export const WS_PATH = "/ws";
export const WS_PING_INTERVAL_MS = 25_000;
/** Bytes a client may leave unread (beyond what the kernel holds) before it is closed with 1008. */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const WS_MAX_CONNECTIONS = 1000;
/**
 * At most one flush per interval: an idle server sends at once, a busy one writes each client
 * its frames together instead of one write per event, which is what costs on a busy farm.
 */
export const WS_FLUSH_INTERVAL_MS = 10;
/** Clients only send small subscription requests. */
export const WS_MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

export const WS_CLOSE_GOING_AWAY = 1001;
export const WS_CLOSE_POLICY_VIOLATION = 1008;
export const WS_CLOSE_TRY_AGAIN_LATER = 1013;

export interface WebSocketForwarderOptions {
  log?: Logger;
  clock?: Clock;
  maxConnections?: number;
  maxBufferedBytes?: number;
  pingIntervalMs?: number;
}

interface Connection {
  ws: ServerWebSocket<WsData>;
  rooms: Set<string>;
  /** Answered a ping or sent something since the last ping. */
  alive: boolean;
  /** Frames gathered for this connection during one flush. */
  outbox: string[];
}

/** The per-socket data `Bun.serve` must be typed with: `Bun.serve<WsData>(...)`. */
export interface WsData {
  conn: Connection | null;
}

export interface WebSocketStats {
  connections: number;
  framesSent: number;
  slowClientsClosed: number;
  upgradesRefused: number;
}

export interface WebSocketForwarder {
  forwarder: Forwarder;
  /** For requests to `/ws`: `undefined` once upgraded, else the error response to return. */
  upgrade(req: Request, server: Server<WsData>): Response | undefined;
  websocket: WebSocketHandler<WsData>;
  /** Closes every connection with 1001 and refuses new ones (shutdown). */
  closeAll(): void;
  stats(): WebSocketStats;
}

/**
 * An upgrade refused, answered like the API's errors (`{code, message}`) so clients read it the
 * same way; built here so the event layer needs nothing from the HTTP layer.
 */
function refusal(status: number, message: string): Response {
  return Response.json({ code: status, message }, { status });
}

/** Server→client frame, built around the payload JSON the broker serialised once. */
function eventFrame(e: PublishedEvent): string {
  return `{"event":${JSON.stringify(e.event)},"topic":${JSON.stringify(e.topic)},"payload":${e.json}}`;
}

export function createWebSocketForwarder(opts: WebSocketForwarderOptions = {}): WebSocketForwarder {
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  const maxConnections = opts.maxConnections ?? WS_MAX_CONNECTIONS;
  const maxBufferedBytes = opts.maxBufferedBytes ?? WS_MAX_BUFFERED_BYTES;
  const pingIntervalMs = opts.pingIntervalMs ?? WS_PING_INTERVAL_MS;

  const connections = new Set<Connection>();
  const rooms = new Map<string, Set<Connection>>();
  let pending: PublishedEvent[] = [];
  let flushScheduled = false;
  let lastFlushAt = Number.NEGATIVE_INFINITY;
  let pingTimer: unknown = null;
  let shuttingDown = false;
  const counters = { framesSent: 0, slowClientsClosed: 0, upgradesRefused: 0 };

  function join(conn: Connection, room: string) {
    conn.rooms.add(room);
    let members = rooms.get(room);
    if (!members) rooms.set(room, (members = new Set()));
    members.add(conn);
  }

  function leave(conn: Connection, room: string) {
    conn.rooms.delete(room);
    const members = rooms.get(room);
    if (!members) return;
    members.delete(conn);
    if (members.size === 0) rooms.delete(room);
  }

  function pingAll() {
    for (const conn of connections) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Sends what was forwarded since the last flush: one corked write per connection. */
  function flush() {
    flushScheduled = false;
    lastFlushAt = performance.now();
    const batch = pending;
    pending = [];
    const touched: Connection[] = [];
    for (const e of batch) {
      const members = rooms.get(e.topic);
      if (!members) continue;
      const frame = eventFrame(e);
      for (const conn of members) {
        if (conn.outbox.length === 0) touched.push(conn);
        conn.outbox.push(frame);
      }
    }
    for (const conn of touched) {
      const frames = conn.outbox;
      conn.outbox = [];
      const ws = conn.ws;
      // Bun's send returns 0 when it dropped the frame for exceeding its buffer limit.
      const dropped = ws.cork(() => {
        let anyDropped = false;
        for (const f of frames) if (ws.send(f) === 0) anyDropped = true;
        return anyDropped;
      });
      counters.framesSent += frames.length;
      if (dropped || ws.getBufferedAmount() > maxBufferedBytes) {
        counters.slowClientsClosed++;
        log(
          "info",
          `websocket: closing client ${ws.remoteAddress}: more than ${maxBufferedBytes} bytes unread`,
        );
        ws.close(WS_CLOSE_POLICY_VIOLATION, "client too slow: send buffer limit exceeded");
      }
    }
  }

  const forwarder: Forwarder = {
    name: "websocket",
    forward(event) {
      if (!rooms.has(event.topic)) return;
      pending.push(event);
      if (flushScheduled) return;
      flushScheduled = true;
      // Real time, not the injected clock: batching is I/O plumbing, and a frozen test clock
      // must not hold events back.
      const waitMs = lastFlushAt + WS_FLUSH_INTERVAL_MS - performance.now();
      if (waitMs > 0) setTimeout(flush, waitMs);
      else setImmediate(flush);
    },
  };

  const websocket: WebSocketHandler<WsData> = {
    maxPayloadLength: WS_MAX_CLIENT_MESSAGE_BYTES,
    // Above our own limit, so Bun never drops a frame before we get to close the client.
    backpressureLimit: 2 * maxBufferedBytes,
    closeOnBackpressureLimit: false,
    // Liveness is checked by our own pings, so Bun's idle timer stays off.
    idleTimeout: 0,
    sendPings: false,
    open(ws) {
      if (shuttingDown || connections.size >= maxConnections) {
        counters.upgradesRefused++;
        ws.close(WS_CLOSE_TRY_AGAIN_LATER, "too many connections");
        return;
      }
      const conn: Connection = { ws, rooms: new Set(), alive: true, outbox: [] };
      ws.data.conn = conn;
      connections.add(conn);
      for (const room of AUTO_JOINED_ROOMS) join(conn, room);
      if (pingTimer === null) pingTimer = clock.setInterval(pingAll, pingIntervalMs);
    },
    message(ws, message) {
      const conn = ws.data.conn;
      if (!conn) return;
      conn.alive = true;
      const request = interpretClientMessage(
        typeof message === "string" ? message : message.toString("utf8"),
      );
      if (request.action === "join") for (const room of request.rooms) join(conn, room);
      if (request.action === "leave") for (const room of request.rooms) leave(conn, room);
      ws.send(ackFrame(request.event, request.ack));
    },
    pong(ws) {
      if (ws.data.conn) ws.data.conn.alive = true;
    },
    close(ws) {
      const conn = ws.data.conn;
      if (!conn) return;
      ws.data.conn = null;
      connections.delete(conn);
      for (const room of [...conn.rooms]) leave(conn, room);
      if (connections.size === 0 && pingTimer !== null) {
        clock.clearInterval(pingTimer);
        pingTimer = null;
      }
    },
  };

  return {
    forwarder,
    websocket,
    upgrade(req, server) {
      if (shuttingDown || connections.size >= maxConnections) {
        counters.upgradesRefused++;
        const message = shuttingDown
          ? "the Manager is shutting down"
          : `too many WebSocket connections (at most ${maxConnections})`;
        return refusal(503, message);
      }
      if (server.upgrade(req, { data: { conn: null } })) return undefined;
      return refusal(400, "expected a WebSocket upgrade request");
    },
    closeAll() {
      shuttingDown = true;
      for (const conn of [...connections]) conn.ws.close(WS_CLOSE_GOING_AWAY, "the Manager is shutting down");
    },
    stats: () => ({ connections: connections.size, ...counters }),
  };
}
