// The native WebSocket forwarder (Flamenco's SocketIO replacement) at `/ws`: rooms named after
// topics, the subscription protocol, keep-alive pings and batched writes, within the bounds of
// websocket-limits.ts so that slow or many clients cannot exhaust the Manager: a client too far
// behind is closed with 1008 and its backlog dropped, the clients furthest behind go first when
// all of them together are over budget, and one address gets only so many connections.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { type Clock, systemClock } from "../../../shared/clock";
import { createLogger, type Logger } from "../../../shared/log";
import type { Forwarder, PublishedEvent } from "../broker";
import { AddressCounts, addressKey } from "./client-addresses";
import { createClosingQueue } from "./closing-queue";
import { AUTO_JOINED_ROOMS, ackFrame, interpretClientMessage } from "./subscriptions";
import { type Frame, Outbox, frame } from "./websocket-outbox";
import {
  WS_CLIENT_SEND_BUFFER_BYTES,
  WS_CLOSE_BATCH_SIZE,
  WS_FLUSH_INTERVAL_MS,
  WS_MAX_CLIENT_MESSAGE_BYTES,
  WS_MAX_CONNECTIONS,
  WS_MAX_CONNECTIONS_PER_ADDRESS,
  WS_MAX_ROOMS_PER_CONNECTION,
  WS_PING_INTERVAL_MS,
  WS_SEND_BUDGET_BYTES,
} from "./websocket-limits";

export const WS_PATH = "/ws";

const WS_CLOSE_GOING_AWAY = 1001;
const WS_CLOSE_POLICY_VIOLATION = 1008;

export interface WebSocketForwarderOptions {
  log?: Logger;
  clock?: Clock;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  clientSendBufferBytes?: number;
  sendBudgetBytes?: number;
  maxRoomsPerConnection?: number;
  pingIntervalMs?: number;
}

interface Connection {
  ws: ServerWebSocket<WsData>;
  /** The key of its client address (see client-addresses.ts). */
  address: string;
  rooms: Set<string>;
  /** Answered a ping or sent something since the last ping. */
  alive: boolean;
  outbox: Outbox;
  /** Unread bytes at the last look: the outbox and what Bun buffers. */
  backlogBytes: number;
  /** Out of its rooms, its backlog dropped, waiting in the closing queue. */
  closing: boolean;
}

/** The per-socket data `Bun.serve` must be typed with: `Bun.serve<WsData>(...)`. */
export interface WsData {
  conn: Connection | null;
  address: string;
}

export interface WebSocketStats {
  connections: number;
  framesSent: number;
  slowClientsClosed: number;
  upgradesRefused: number;
  /** Bytes of events that open clients have not read yet, all of them together. */
  unreadBytes: number;
}

export interface WebSocketForwarder {
  forwarder: Forwarder;
  /**
   * For requests to `/ws`, with the client's address (`server.requestIP(req)?.address`):
   * `undefined` once upgraded, else the error response to return.
   */
  upgrade(req: Request, server: Server<WsData>, clientAddress: string | undefined): Response | undefined;
  websocket: WebSocketHandler<WsData>;
  /** Closes every connection with 1001, in batches, and refuses new ones (shutdown). */
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
function eventFrame(e: PublishedEvent): Frame {
  return frame(`{"event":${JSON.stringify(e.event)},"topic":${JSON.stringify(e.topic)},"payload":${e.json}}`);
}

/** "1 MiB", "256 KiB": limits as people write them, for close reasons and messages. */
function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

export function createWebSocketForwarder(opts: WebSocketForwarderOptions = {}): WebSocketForwarder {
  const log = opts.log ?? createLogger();
  const clock = opts.clock ?? systemClock;
  const maxConnections = opts.maxConnections ?? WS_MAX_CONNECTIONS;
  const maxPerAddress = opts.maxConnectionsPerAddress ?? WS_MAX_CONNECTIONS_PER_ADDRESS;
  const clientBufferBytes = opts.clientSendBufferBytes ?? WS_CLIENT_SEND_BUFFER_BYTES;
  const budgetBytes = opts.sendBudgetBytes ?? WS_SEND_BUDGET_BYTES;
  const maxRooms = opts.maxRoomsPerConnection ?? WS_MAX_ROOMS_PER_CONNECTION;
  const pingIntervalMs = opts.pingIntervalMs ?? WS_PING_INTERVAL_MS;

  const tooFarBehind = `too slow: more than ${formatBytes(clientBufferBytes)} of events unread`;
  const overBudget = `too slow: furthest behind when all clients had more than ${formatBytes(budgetBytes)} unread`;
  const tooManyRooms = `too many subscriptions: at most ${maxRooms} rooms per connection, ignoring request`;

  const connections = new Set<Connection>();
  const rooms = new Map<string, Set<Connection>>();
  const addresses = new AddressCounts();
  const closing = createClosingQueue(WS_CLOSE_BATCH_SIZE);
  let unreadBytes = 0;
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

  function measure(conn: Connection) {
    const now = conn.outbox.queuedBytes + conn.ws.getBufferedAmount();
    unreadBytes += now - conn.backlogBytes;
    conn.backlogBytes = now;
  }

  /** Out of its rooms, its backlog let go: nothing more is queued for it. */
  function release(conn: Connection) {
    for (const room of [...conn.rooms]) leave(conn, room);
    unreadBytes -= conn.backlogBytes;
    conn.backlogBytes = 0;
    conn.outbox.clear();
  }

  /** Released at once, and `close` runs in a later batch. */
  function condemn(conn: Connection, close: (ws: ServerWebSocket<WsData>) => void) {
    if (conn.closing) return;
    conn.closing = true;
    release(conn);
    closing.add(() => close(conn.ws));
  }

  function closeSlow(conn: Connection, reason: string) {
    counters.slowClientsClosed++;
    log("info", `websocket: closing client ${conn.address}: ${reason}`);
    condemn(conn, (ws) => ws.close(WS_CLOSE_POLICY_VIOLATION, reason));
  }

  /** Hands the client what it has queued, as far as its socket takes it, and checks its bound. */
  function deliver(conn: Connection) {
    const { sent, dropped } = conn.outbox.pump(conn.ws);
    counters.framesSent += sent;
    measure(conn);
    // Bun drops frames only past its own limit, which is this bound too.
    if (dropped || conn.backlogBytes > clientBufferBytes) closeSlow(conn, tooFarBehind);
  }

  /** Over budget, the clients furthest behind are closed until the rest fits. */
  function enforceBudget() {
    if (unreadBytes <= budgetBytes) return;
    const behind: Connection[] = [];
    for (const conn of connections) {
      if (conn.closing || conn.backlogBytes === 0) continue;
      measure(conn);
      behind.push(conn);
    }
    behind.sort((a, b) => b.backlogBytes - a.backlogBytes);
    for (const conn of behind) {
      if (unreadBytes <= budgetBytes) break;
      closeSlow(conn, overBudget);
    }
  }

  function pingAll() {
    for (const conn of connections) {
      if (conn.closing) continue;
      if (!conn.alive) {
        // No answer to the last ping: nobody would read a close frame either.
        condemn(conn, (ws) => ws.terminate());
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Queues what was forwarded since the last flush and writes each client its frames at once. */
  function flush() {
    flushScheduled = false;
    lastFlushAt = performance.now();
    const batch = pending;
    pending = [];
    const touched = new Set<Connection>();
    for (const e of batch) {
      const members = rooms.get(e.topic);
      if (!members) continue;
      // One frame per event, shared by every member.
      const f = eventFrame(e);
      for (const conn of members) {
        conn.outbox.push(f);
        touched.add(conn);
      }
    }
    for (const conn of touched) if (!conn.closing) deliver(conn);
    enforceBudget();
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
    // The outbox hands Bun frames only while it buffers nothing; this stops Bun buffering more
    // than the client's bound should a single frame be that large.
    backpressureLimit: clientBufferBytes,
    closeOnBackpressureLimit: false,
    // Liveness is checked by our own pings, so Bun's idle timer stays off.
    idleTimeout: 0,
    sendPings: false,
    open(ws) {
      // Bun runs this inside server.upgrade, so the limits checked there still hold.
      const conn: Connection = {
        ws,
        address: ws.data.address,
        rooms: new Set(),
        alive: true,
        outbox: new Outbox(),
        backlogBytes: 0,
        closing: false,
      };
      ws.data.conn = conn;
      connections.add(conn);
      addresses.add(conn.address);
      for (const room of AUTO_JOINED_ROOMS) join(conn, room);
      if (pingTimer === null) pingTimer = clock.setInterval(pingAll, pingIntervalMs);
    },
    message(ws, message) {
      const conn = ws.data.conn;
      if (!conn || conn.closing) return;
      conn.alive = true;
      const request = interpretClientMessage(
        typeof message === "string" ? message : message.toString("utf8"),
      );
      let ack = request.ack;
      if (request.action === "join") {
        const added = request.rooms.filter((room) => !conn.rooms.has(room));
        if (conn.rooms.size + added.length > maxRooms) ack = tooManyRooms;
        else for (const room of added) join(conn, room);
      }
      if (request.action === "leave") for (const room of request.rooms) leave(conn, room);
      // Behind the events already queued, and counted in the client's backlog like them.
      conn.outbox.push(frame(ackFrame(request.event, ack)));
      deliver(conn);
    },
    drain(ws) {
      const conn = ws.data.conn;
      if (conn && !conn.closing) deliver(conn);
    },
    pong(ws) {
      if (ws.data.conn) ws.data.conn.alive = true;
    },
    close(ws) {
      const conn = ws.data.conn;
      if (!conn) return;
      ws.data.conn = null;
      connections.delete(conn);
      addresses.remove(conn.address);
      release(conn);
      if (connections.size === 0 && pingTimer !== null) {
        clock.clearInterval(pingTimer);
        pingTimer = null;
      }
    },
  };

  return {
    forwarder,
    websocket,
    upgrade(req, server, clientAddress) {
      const address = addressKey(clientAddress);
      let refused: Response | null = null;
      if (shuttingDown) refused = refusal(503, "the Manager is shutting down");
      else if (connections.size >= maxConnections) {
        refused = refusal(503, `too many WebSocket connections (at most ${maxConnections})`);
      } else if (addresses.get(address) >= maxPerAddress) {
        refused = refusal(
          429,
          `too many WebSocket connections from ${address} (at most ${maxPerAddress} per client address)`,
        );
      }
      if (refused) {
        counters.upgradesRefused++;
        return refused;
      }
      if (server.upgrade(req, { data: { conn: null, address } })) return undefined;
      return refusal(400, "expected a WebSocket upgrade request");
    },
    closeAll() {
      shuttingDown = true;
      for (const conn of connections) {
        condemn(conn, (ws) => ws.close(WS_CLOSE_GOING_AWAY, "the Manager is shutting down"));
      }
    },
    stats: () => ({ connections: connections.size, unreadBytes, ...counters }),
  };
}
