// What the WebSocket forwarder tests share: the forwarder behind a real Bun.serve on a free port,
// fed by a real broker, and a real (Bun) WebSocket client that records what it gets. Clients
// that must stop reading are in test/support/raw-websocket.ts.
import { afterEach } from "bun:test";
import type { Server } from "bun";
import { z } from "zod";
import type { EventBroker } from "../../../src/manager/events/broker";
import {
  WS_PATH,
  type WebSocketForwarder,
  type WebSocketForwarderOptions,
  type WsData,
  createWebSocketForwarder,
} from "../../../src/manager/events/forwarders/websocket";
import type { RawClient } from "../../support/raw-websocket";
import { waitFor } from "../../support/wait";
import { recordingBroker } from "./fixtures";

/** A server→client frame: an event, or an ack. Loose, so an unexpected key shows in comparisons. */
const Frame = z.looseObject({
  event: z.string(),
  topic: z.string().optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
  ack: z.string().optional(),
});
type Frame = z.infer<typeof Frame>;

/** A real WebSocket client that records every frame and closing code. */
export class Client {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = "";
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (m) => this.frames.push(Frame.parse(JSON.parse(String(m.data))));
    ws.onclose = (e) => {
      this.closeCode = e.code;
      this.closeReason = e.reason;
    };
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    const client = new Client(ws);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`could not connect to ${url}`));
    });
    return client;
  }

  events = () => this.frames.filter((f) => f.ack === undefined);
  acks = () => this.frames.filter((f) => f.ack !== undefined);

  /** Sends a raw message and waits for the server's ack. */
  async request(message: string): Promise<Frame> {
    const before = this.acks().length;
    this.ws.send(message);
    return waitFor("an ack", () => this.acks()[before]);
  }

  subscribe(type: string, uuid?: string, op = "subscribe"): Promise<Frame> {
    return this.request(JSON.stringify({ event: "/subscription", payload: { op, type, uuid } }));
  }
}

export interface WebSocketServer {
  /** ws://127.0.0.1:PORT/ws */
  url: string;
  /** The same server over http://, to see refused upgrades. */
  httpURL: string;
  forwarder: WebSocketForwarder;
  broker: EventBroker;
  /** What the forwarder logged. */
  logs: string[];
  /** Connects a Bun WebSocket client, closed by stop(). */
  connect(): Promise<Client>;
  stop(): Promise<void>;
}

/** The forwarder on its own Bun.serve, like bun-serve.ts mounts it, with the client's address. */
export function startWebSocketServer(opts: WebSocketForwarderOptions = {}): WebSocketServer {
  const { broker, logs, log } = recordingBroker();
  const forwarder = createWebSocketForwarder({ log, ...opts });
  broker.addForwarder(forwarder.forwarder);
  const server: Server<WsData> = Bun.serve<WsData>({
    hostname: "127.0.0.1",
    port: 0,
    websocket: forwarder.websocket,
    routes: {
      [WS_PATH]: (req: Request, srv: Server<WsData>) =>
        forwarder.upgrade(req, srv, srv.requestIP(req)?.address),
    },
    fetch: () => new Response("not found", { status: 404 }),
  });
  const clients: Client[] = [];
  const url = `ws://127.0.0.1:${server.port}${WS_PATH}`;
  return {
    url,
    httpURL: url.replace("ws://", "http://"),
    forwarder,
    broker,
    logs,
    async connect() {
      const c = await Client.connect(url);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.ws.close();
      forwarder.closeAll();
      await server.stop(true);
    },
  };
}

/**
 * For a test file: `start` runs the current test's server; after each test it is stopped and the
 * raw clients pushed to `rawClients` are destroyed.
 */
export function serverPerTest(): {
  start: (opts?: WebSocketForwarderOptions) => WebSocketServer;
  rawClients: RawClient[];
} {
  let server: WebSocketServer | null = null;
  const rawClients: RawClient[] = [];
  afterEach(async () => {
    for (const c of rawClients.splice(0)) c.socket.destroy();
    await server?.stop();
    server = null;
  });
  return {
    start: (opts = {}) => (server = startWebSocketServer(opts)),
    rawClients,
  };
}
