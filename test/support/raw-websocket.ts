// The project's one hand-made WebSocket client, on a bare TCP socket (node:net), for what Bun's
// WebSocket client cannot do. It owns:
// - the HTTP upgrade, and what a refused one answered (status line and body);
// - connecting from a chosen local address (127.0.0.0/8 is all loopback on Linux; Bun.connect
//   cannot bind one), so that many clients do not all count against one address's limit;
// - stopping reading (`pause()`): Bun's client reads eagerly, so only a paused socket fills the
//   kernel's buffers and gives the server real backpressure;
// - the framing (RFC 6455) by hand: masked client frames (text, subscriptions, pong, close) and an
//   incremental parser of server frames that sees them as sent, close code and reason included,
//   answers pings, and can count big frames without keeping them (for many clients reading much).
// Used by the WebSocket forwarder tests, bench/websocket-clients.ts and reliability/ws-abuse.ts.
import net from "node:net";

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const FIN = 0x80;
const MASKED = 0x80;
const CLOSE_NORMAL = 1000;
/** A close frame without a status code (RFC 6455 §7.1.5). */
const CLOSE_NO_STATUS = 1005;
const HANDSHAKE_MAX_BYTES = 16 * 1024;

/** A server frame as the client keeps it: text, or close with its code and reason. */
export type ServerFrame = { kind: "text"; text: string } | { kind: "close"; code: number; reason: string };

export interface Subscription {
  type: string;
  uuid?: string;
}

export interface RawConnectOptions {
  /** The source address to bind, e.g. 127.0.0.2. */
  localAddress?: string;
  /**
   * Data frames with a longer payload are only counted (`dataFrames`), neither decoded nor kept.
   * Every frame is kept by default.
   */
  keepFramesUpTo?: number;
  /** How long the connection and the upgrade answer may take; no limit by default. */
  timeoutMs?: number;
}

/** Encodes one client frame, masked (clients must mask, servers must refuse unmasked frames). */
function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const lengthBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + 4 + len);
  frame[0] = FIN | opcode;
  if (lengthBytes === 0) frame[1] = MASKED | len;
  else if (lengthBytes === 2) {
    frame[1] = MASKED | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = MASKED | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  const maskAt = 2 + lengthBytes;
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, maskAt);
  for (let i = 0; i < len; i++) frame[maskAt + 4 + i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return frame;
}

/** A masked client→server text frame. */
function maskedTextFrame(text: string): Buffer {
  return clientFrame(OPCODE_TEXT, Buffer.from(text));
}

/** A masked `/subscription` request (answered by the server with an ack). */
export function subscriptionFrame(type: string, uuid?: string): Buffer {
  return maskedTextFrame(
    JSON.stringify({ event: "/subscription", payload: { op: "subscribe", type, uuid } }),
  );
}

/** Incremental parser of server frames: never buffers a frame longer than `keepUpTo`. */
class FrameParser {
  private readonly header = Buffer.alloc(14);
  private headerHave = 0;
  private payloadLeft = -1;
  private opcode = 0;
  private kept: Buffer[] | null = null;
  /** Bytes of the frame in progress read so far (0 between frames). */
  partialBytes = 0;

  constructor(
    private readonly keepUpTo: number,
    private readonly onFrame: (opcode: number, payload: Buffer | null) => void,
  ) {}

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.payloadLeft < 0) {
        this.header[this.headerHave++] = chunk[at++] ?? 0;
        this.partialBytes++;
        const need = this.headerLength();
        if (need === null || this.headerHave < need) continue;
        this.startPayload();
        if (this.payloadLeft === 0) this.finishFrame();
        continue;
      }
      const take = Math.min(this.payloadLeft, chunk.length - at);
      this.kept?.push(chunk.subarray(at, at + take));
      at += take;
      this.partialBytes += take;
      this.payloadLeft -= take;
      if (this.payloadLeft === 0) this.finishFrame();
    }
  }

  /** The header's length once known (server frames are not masked, but a mask is tolerated). */
  private headerLength(): number | null {
    if (this.headerHave < 2) return null;
    const b1 = this.header[1] ?? 0;
    const len7 = b1 & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & MASKED ? 4 : 0);
  }

  private startPayload() {
    this.opcode = (this.header[0] ?? 0) & 0x0f;
    const len7 = (this.header[1] ?? 0) & 0x7f;
    this.payloadLeft =
      len7 === 126
        ? this.header.readUInt16BE(2)
        : len7 === 127
          ? Number(this.header.readBigUInt64BE(2))
          : len7;
    // Control frames (close, ping) are at most 125 bytes, and always kept.
    this.kept = this.payloadLeft <= this.keepUpTo || this.opcode >= OPCODE_CLOSE ? [] : null;
    this.headerHave = 0;
  }

  private finishFrame() {
    const payload = this.kept ? Buffer.concat(this.kept) : null;
    this.kept = null;
    this.payloadLeft = -1;
    this.partialBytes = 0;
    this.onFrame(this.opcode, payload);
  }
}

export class RawClient {
  readonly socket: net.Socket;
  /** The first line of the server's answer, e.g. `HTTP/1.1 101 Switching Protocols`; "" if none came. */
  status = "";
  /** Its status code: 101, or the refusal (429, 503, ...); 0 if no answer came. */
  statusCode = 0;
  /** The answer's body when the upgrade was refused. */
  body = "";
  /** Frames read and not handed to a `stream` callback, since the start. */
  readonly frames: ServerFrame[] = [];
  /** Data frames read, kept or not. */
  dataFrames = 0;
  /** Acks read (`{"event": ..., "ack": ...}` frames). */
  acks = 0;
  /** The status code of a close frame the server sent, once one was read. */
  closeCode: number | null = null;
  /** The server ended the TCP connection (FIN read), or it was reset. */
  ended = false;
  error: string | null = null;
  /** When something was last read (or reading resumed). */
  lastReadAt = performance.now();
  private connected = false;
  /** The upgrade answer read so far; null once its head (and a refusal's body) is read. */
  private handshake: Buffer | null = Buffer.alloc(0);
  private readonly parser: FrameParser;
  private sink: ((f: ServerFrame) => void) | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(localAddress: string | undefined, host: string, port: number, keepUpTo: number) {
    this.parser = new FrameParser(keepUpTo, (opcode, payload) => this.onFrame(opcode, payload));
    this.socket = net.connect({ host, port, localAddress });
    this.socket.setNoDelay(true);
    // The listeners stay for the socket's whole life, so no chunk arrives while nobody listens.
    this.socket.on("connect", () => this.settle(() => (this.connected = true)));
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("end", () => this.settle(() => (this.ended = true)));
    this.socket.on("close", () => this.settle(() => (this.ended = true)));
    this.socket.on("error", (err) => this.settle(() => (this.error ??= err.message)));
  }

  /**
   * Connects to `url` (ws://host:port/path), sends the upgrade request and reads the answer's head
   * (and a refusal's body). Rejects when the connection fails or on the deadline.
   */
  static async connect(url: string, opts: RawConnectOptions = {}): Promise<RawClient> {
    const { hostname, port, pathname } = new URL(url);
    const client = new RawClient(opts.localAddress, hostname, Number(port), opts.keepFramesUpTo ?? Infinity);
    try {
      await client.until(() => client.connected || client.ended, opts.timeoutMs, "the connection");
      if (client.connected && !client.socket.destroyed) {
        const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
        client.socket.write(
          `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      }
      await client.until(
        () => client.handshake === null || client.ended,
        opts.timeoutMs,
        "the upgrade answer",
      );
    } catch (err) {
      client.destroy();
      throw err;
    }
    if (client.statusCode === 0 && client.error !== null) {
      client.destroy();
      throw new Error(client.error);
    }
    return client;
  }

  get upgraded(): boolean {
    return this.statusCode === 101;
  }

  /** Sends a text message. */
  send(text: string): void {
    this.socket.write(maskedTextFrame(text));
  }

  /**
   * Subscribes to each of `subscriptions` and waits for as many acks; false if the connection
   * ended first. Acks are only seen in kept frames, which they are unless `keepFramesUpTo` < ~100.
   */
  async subscribe(subscriptions: Subscription[], timeoutMs?: number): Promise<boolean> {
    const want = this.acks + subscriptions.length;
    for (const s of subscriptions) this.socket.write(subscriptionFrame(s.type, s.uuid));
    await this.until(() => this.acks >= want || this.ended, timeoutMs, "the subscription acks");
    return this.acks >= want;
  }

  /** Waits until `check` holds for the frames read so far; throws if the server ends first. */
  async readUntil(check: (frames: ServerFrame[]) => boolean): Promise<ServerFrame[]> {
    await this.until(() => check(this.frames) || this.ended);
    if (!check(this.frames)) throw new Error("the server closed the connection");
    return this.frames;
  }

  /** Stops reading: the server can then only fill the kernel's buffers, and then its own. */
  pause(): void {
    // The listener stays: a chunk the socket had already read still arrives, and is parsed.
    this.socket.pause();
  }

  /** Reads again; the idle clock restarts, since nothing could arrive while paused. */
  resume(): void {
    this.lastReadAt = performance.now();
    this.socket.resume();
  }

  /**
   * Reads again until the server ends the connection: every frame since the start, and the
   * length of a frame cut short at the end (0 when the server ended between frames).
   */
  async readToEnd(): Promise<{ frames: ServerFrame[]; trailingBytes: number }> {
    this.resume();
    await this.until(() => this.ended);
    return { frames: this.frames, trailingBytes: this.parser.partialBytes };
  }

  /** From now on hands each frame to `onFrame` as it arrives (those kept so far first), keeping none. */
  stream(onFrame: (f: ServerFrame) => void): void {
    this.sink = onFrame;
    for (const f of this.frames.splice(0)) onFrame(f);
  }

  /** A normal close frame, then FIN; `destroy()` is what frees the socket if the server never answers. */
  close(): void {
    if (this.socket.destroyed) return;
    const code = Buffer.alloc(2);
    code.writeUInt16BE(CLOSE_NORMAL);
    this.socket.write(clientFrame(OPCODE_CLOSE, code));
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves when `done()` holds (checked on every socket event); rejects after `timeoutMs`, if given. */
  until(done: () => boolean, timeoutMs?: number, what = "the server"): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  private settle(change: () => void) {
    change();
    for (const waiter of [...this.waiters]) waiter();
  }

  private onData(chunk: Buffer) {
    this.lastReadAt = performance.now();
    if (this.handshake === null) {
      if (this.upgraded) this.parser.feed(chunk);
      this.settle(() => {});
      return;
    }
    const seen = this.handshake.length ? Buffer.concat([this.handshake, chunk]) : chunk;
    const end = seen.indexOf("\r\n\r\n");
    if (end < 0) {
      if (seen.length > HANDSHAKE_MAX_BYTES) {
        this.handshake = null;
        this.settle(() => (this.error = "upgrade answer too long"));
        this.socket.destroy();
      } else this.handshake = seen;
      return;
    }
    const head = seen.subarray(0, end).toString("latin1");
    this.status = head.split("\r\n")[0] ?? "";
    this.statusCode = Number(/^HTTP\/1\.1 (\d{3})/.exec(this.status)?.[1] ?? 0);
    const rest = seen.subarray(end + 4);
    if (this.upgraded) {
      this.handshake = null;
      if (rest.length) this.parser.feed(rest);
      this.settle(() => {});
      return;
    }
    // A refusal: its body, as long as it says.
    const bodyBytes = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length >= bodyBytes) {
      this.body = rest.toString();
      this.handshake = null;
      this.settle(() => {});
    } else this.handshake = seen;
  }

  private onFrame(opcode: number, payload: Buffer | null) {
    if (opcode === OPCODE_CLOSE) {
      const code = payload && payload.length >= 2 ? payload.readUInt16BE(0) : CLOSE_NO_STATUS;
      this.closeCode = code;
      this.deliver({ kind: "close", code, reason: payload?.subarray(2).toString() ?? "" });
    } else if (opcode === OPCODE_PING) {
      if (!this.socket.destroyed && this.socket.writable) {
        this.socket.write(clientFrame(OPCODE_PONG, payload ?? Buffer.alloc(0)));
      }
    } else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY || opcode === OPCODE_CONTINUATION) {
      this.dataFrames++;
      if (opcode !== OPCODE_TEXT || payload === null) return;
      const text = payload.toString("utf8");
      if (text.includes('"ack"')) this.acks++;
      this.deliver({ kind: "text", text });
    }
  }

  private deliver(f: ServerFrame) {
    if (this.sink) this.sink(f);
    else this.frames.push(f);
  }
}

/** Connects to `url` and upgrades; see `RawClient.connect`. */
export function connectRaw(url: string, opts: RawConnectOptions = {}): Promise<RawClient> {
  return RawClient.connect(url, opts);
}

/** Connects, subscribes to each of `subscriptions`, waits for their acks and stops reading. */
export async function connectNonReading(
  url: string,
  subscriptions: Subscription[],
  opts: RawConnectOptions = {},
): Promise<RawClient> {
  const client = await connectRaw(url, opts);
  if (!client.upgraded) {
    client.destroy();
    throw new Error(`upgrade refused: ${client.status}`);
  }
  if (!(await client.subscribe(subscriptions, opts.timeoutMs))) {
    client.destroy();
    throw new Error("the server closed the connection");
  }
  client.pause();
  return client;
}
