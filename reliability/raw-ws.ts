// A minimal WebSocket client over a plain TCP socket (node:net), written for ws-abuse because
// Bun's WebSocket reads eagerly and cannot pick its source address. This one
// - binds to a given local address (127.0.0.2, 127.0.0.3, ...), so that a thousand clients do
//   not all come from one address;
// - can stop reading (`pause()`): the kernel buffers fill and the server sees real backpressure;
// - frames by hand (RFC 6455): client frames masked, server frames parsed incrementally without
//   copying event payloads, only small frames (acks, close) are kept to be looked at.
import net from "node:net";

/** Frames up to this size are kept whole (subscription acks, close frames); larger ones only counted. */
const KEEP_FRAME_BYTES = 512;
const HANDSHAKE_MAX_BYTES = 16 * 1024;
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const CLOSE_NORMAL = 1000;
/** Close frame without a status code (RFC 6455 §7.1.5). */
const CLOSE_NO_STATUS = 1005;

export interface RawWsOptions {
  host: string;
  port: number;
  path: string;
  localAddress: string;
  /** Text messages sent right after the upgrade; each must be answered with a `/subscription` ack. */
  messages: string[];
  timeoutMs: number;
}

/** Encodes one masked client frame (clients must mask, servers must refuse unmasked frames). */
export function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const lengthBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + 4 + len);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | len;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  const maskAt = 2 + lengthBytes;
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, maskAt);
  for (let i = 0; i < len; i++) frame[maskAt + 4 + i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return frame;
}

/** Incremental parser of server frames: counts data frames, keeps small ones, never buffers big ones. */
class FrameParser {
  private header = Buffer.alloc(14);
  private headerHave = 0;
  private payloadLeft = -1;
  private opcode = 0;
  private kept: Buffer[] | null = null;

  constructor(private readonly onFrame: (opcode: number, payload: Buffer | null) => void) {}

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.payloadLeft < 0) {
        this.header[this.headerHave++] = chunk[at++] ?? 0;
        const need = this.headerLength();
        if (need === null || this.headerHave < need) continue;
        this.startPayload();
        if (this.payloadLeft === 0) this.finishFrame();
        continue;
      }
      const take = Math.min(this.payloadLeft, chunk.length - at);
      this.kept?.push(chunk.subarray(at, at + take));
      at += take;
      this.payloadLeft -= take;
      if (this.payloadLeft === 0) this.finishFrame();
    }
  }

  /** Header length once known (server frames are not masked, but a mask is tolerated). */
  private headerLength(): number | null {
    if (this.headerHave < 2) return null;
    const b1 = this.header[1] ?? 0;
    const len7 = b1 & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
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
    this.kept = this.payloadLeft <= KEEP_FRAME_BYTES ? [] : null;
    this.headerHave = 0;
  }

  private finishFrame() {
    const payload = this.kept ? Buffer.concat(this.kept) : null;
    this.kept = null;
    this.payloadLeft = -1;
    this.onFrame(this.opcode, payload);
  }
}

export class RawWsClient {
  /** HTTP status of the upgrade answer: 101, or the refusal (429, 503, ...); 0 if none came. */
  upgradeStatus = 0;
  bytesRead = 0;
  dataFrames = 0;
  acks = 0;
  /** The status code of a close frame the server sent, once one was read. */
  closeCode: number | null = null;
  /** The server ended the TCP connection (FIN read), or it was reset. */
  ended = false;
  error: string | null = null;
  lastReadAt = performance.now();
  private readonly socket: net.Socket;
  private readonly parser = new FrameParser((opcode, payload) => this.onFrame(opcode, payload));
  private handshake: Buffer | null = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly opts: RawWsOptions) {
    this.socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    this.socket.setNoDelay(true);
    this.socket.on("connect", () => this.socket.write(this.upgradeRequest()));
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("end", () => this.settle(() => (this.ended = true)));
    this.socket.on("close", () => this.settle(() => (this.ended = true)));
    this.socket.on("error", (err) => this.settle(() => (this.error ??= err.message)));
  }

  /**
   * Connects, upgrades and sends the messages; resolves once every message was acknowledged or
   * the upgrade was refused (see `upgradeStatus`). Rejects only on a deadline or a socket error.
   */
  static async open(opts: RawWsOptions): Promise<RawWsClient> {
    const client = new RawWsClient(opts);
    const done = () =>
      client.error !== null ||
      client.ended ||
      (client.upgradeStatus !== 0 && client.upgradeStatus !== 101) ||
      (client.upgradeStatus === 101 && client.acks >= opts.messages.length);
    await client.until(done, opts.timeoutMs, "the upgrade and subscription acks");
    if (client.error !== null && client.upgradeStatus === 0) throw new Error(client.error);
    return client;
  }

  get subscribed(): boolean {
    return this.upgradeStatus === 101 && this.acks >= this.opts.messages.length;
  }

  /** Stops reading from the socket: what the server sends piles up in the kernel, then in the server. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads again; the idle clock restarts, since nothing could arrive while paused. */
  resume(): void {
    this.lastReadAt = performance.now();
    this.socket.resume();
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

  /** Resolves when `done()` holds (checked on every socket event); rejects after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private settle(change: () => void) {
    change();
    for (const waiter of [...this.waiters]) waiter();
  }

  private upgradeRequest(): string {
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    return (
      `GET ${this.opts.path} HTTP/1.1\r\nHost: ${this.opts.host}:${this.opts.port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      "Sec-WebSocket-Version: 13\r\n\r\n"
    );
  }

  private onData(chunk: Buffer) {
    this.bytesRead += chunk.length;
    this.lastReadAt = performance.now();
    if (this.handshake === null) {
      this.parser.feed(chunk);
      return;
    }
    const seen = Buffer.concat([this.handshake, chunk]);
    const end = seen.indexOf("\r\n\r\n");
    if (end === -1) {
      if (seen.length > HANDSHAKE_MAX_BYTES) this.settle(() => (this.error = "upgrade answer too long"));
      else this.handshake = seen;
      return;
    }
    this.handshake = null;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(seen.subarray(0, end).toString("latin1"))?.[1] ?? 0);
    this.settle(() => (this.upgradeStatus = status));
    if (status !== 101) {
      this.socket.destroy();
      return;
    }
    for (const message of this.opts.messages)
      this.socket.write(clientFrame(OPCODE_TEXT, Buffer.from(message)));
    if (seen.length > end + 4) this.parser.feed(seen.subarray(end + 4));
  }

  private onFrame(opcode: number, payload: Buffer | null) {
    if (opcode === OPCODE_CLOSE) {
      const code = payload && payload.length >= 2 ? payload.readUInt16BE(0) : CLOSE_NO_STATUS;
      this.settle(() => (this.closeCode = code));
    } else if (opcode === OPCODE_PING) {
      if (!this.socket.destroyed) this.socket.write(clientFrame(OPCODE_PONG, payload ?? Buffer.alloc(0)));
    } else if (opcode !== OPCODE_PONG) {
      this.dataFrames++;
      if (payload?.includes('"/subscription"')) this.settle(() => this.acks++);
    }
  }
}
