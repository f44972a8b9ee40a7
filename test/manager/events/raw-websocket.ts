// A WebSocket client on a bare TCP socket, for what Bun's WebSocket client cannot do: stop
// reading (Bun's client reads eagerly, so only a paused socket gives the server real
// backpressure), connect from a chosen local address (127.0.0.0/8 is all loopback on Linux), and
// see the bytes as sent, close frame included. Used by the WebSocket tests and bench/.
import net from "node:net";

/** The handshake key; the server's answer to it is not checked. */
const HANDSHAKE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const FIN = 0x80;
const MASKED = 0x80;

/** A server frame: text, or close with its code and reason. */
export type ServerFrame = { kind: "text"; text: string } | { kind: "close"; code: number; reason: string };

/** Splits server frames (never masked) off the front of `buf`; `rest` is an incomplete tail. */
export function parseServerFrames(buf: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    const opcode = buf.readUInt8(at) & 0x0f;
    let length = buf.readUInt8(at + 1) & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buf.length - at < 4) break;
      length = buf.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (buf.length - at < 10) break;
      length = Number(buf.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (buf.length - at < header + length) break;
    const payload = buf.subarray(at + header, at + header + length);
    at += header + length;
    if (opcode === OPCODE_TEXT) frames.push({ kind: "text", text: payload.toString("utf8") });
    else if (opcode === OPCODE_CLOSE) {
      frames.push({ kind: "close", code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() });
    }
  }
  return { frames, rest: buf.subarray(at) };
}

/** A client→server text frame (clients must mask theirs). */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  let header: Buffer;
  if (payload.length < 126) header = Buffer.from([FIN | OPCODE_TEXT, MASKED | payload.length]);
  else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header.writeUInt8(FIN | OPCODE_TEXT, 0);
    header.writeUInt8(MASKED | 126, 1);
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(FIN | OPCODE_TEXT, 0);
    header.writeUInt8(MASKED | 127, 1);
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const masked = payload.map((b, i) => b ^ (mask[i % 4] ?? 0));
  return Buffer.concat([header, mask, masked]);
}

export function subscriptionFrame(type: string, uuid?: string): Buffer {
  return maskedTextFrame(
    JSON.stringify({ event: "/subscription", payload: { op: "subscribe", type, uuid } }),
  );
}

export interface RawClient {
  socket: net.Socket;
  /** The first line of the server's answer, e.g. `HTTP/1.1 101 Switching Protocols`. */
  status: string;
  /** The answer's body when the upgrade was refused. */
  body: string;
  /** Waits until `check` holds for the frames read so far, reading more as needed. */
  readUntil(check: (frames: ServerFrame[]) => boolean): Promise<ServerFrame[]>;
  /** Stops reading: the server can then only fill the kernel's buffers, and then its own. */
  pause(): void;
  /**
   * Reads again until the server ends the connection: every frame since the start, and the
   * length of a frame cut short at the end (0 when the server ended between frames).
   */
  readToEnd(): Promise<{ frames: ServerFrame[]; trailingBytes: number }>;
  /** From now on hands each frame to `onFrame` as it arrives, instead of keeping them. */
  stream(onFrame: (f: ServerFrame) => void): void;
}

/** Sends the upgrade request for `url` (ws://host:port/path) and reads the answer's head. */
export async function connectRaw(url: string, localAddress?: string): Promise<RawClient> {
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port), localAddress });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  // One listener for the socket's whole life, so no chunk arrives while nobody listens.
  let received: Buffer = Buffer.alloc(0);
  let ended = false;
  let wake = () => {};
  let sink: ((f: ServerFrame) => void) | null = null;
  const drainTo = (onFrame: (f: ServerFrame) => void) => {
    const parsed = parseServerFrames(received);
    received = parsed.rest;
    for (const f of parsed.frames) onFrame(f);
  };
  const onData = (d: Buffer) => {
    received = received.length ? Buffer.concat([received, d]) : d;
    if (sink) drainTo(sink);
    wake();
  };
  socket.on("data", onData);
  socket.once("close", () => {
    ended = true;
    wake();
  });
  const more = () => new Promise<void>((resolve) => (wake = resolve));

  socket.write(
    `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  while (received.indexOf("\r\n\r\n") < 0 && !ended) await more();
  const headEnd = received.indexOf("\r\n\r\n");
  const head = received.subarray(0, headEnd < 0 ? received.length : headEnd).toString();
  const status = head.split("\r\n")[0] ?? "";
  received = headEnd < 0 ? Buffer.alloc(0) : received.subarray(headEnd + 4);
  const upgraded = status.startsWith("HTTP/1.1 101");
  const bodyBytes = upgraded ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  while (received.length < bodyBytes && !ended) await more();

  const frames: ServerFrame[] = [];
  return {
    socket,
    status,
    body: upgraded ? "" : received.toString(),
    async readUntil(check) {
      for (;;) {
        const parsed = parseServerFrames(received);
        frames.push(...parsed.frames);
        received = parsed.rest;
        if (check(frames)) return frames;
        if (ended) throw new Error("the server closed the connection");
        await more();
      }
    },
    pause() {
      // The listener stays: a chunk the socket had already read still arrives, and is kept.
      socket.pause();
    },
    async readToEnd() {
      socket.resume();
      while (!ended) await more();
      const parsed = parseServerFrames(received);
      frames.push(...parsed.frames);
      received = parsed.rest;
      return { frames, trailingBytes: received.length };
    },
    stream(onFrame) {
      sink = onFrame;
      drainTo(onFrame);
    },
  };
}

/** Connects, subscribes to each of `subscriptions`, waits for their acks and stops reading. */
export async function connectNonReading(
  url: string,
  subscriptions: { type: string; uuid?: string }[],
  localAddress?: string,
): Promise<RawClient> {
  const client = await connectRaw(url, localAddress);
  if (!client.status.startsWith("HTTP/1.1 101")) throw new Error(`upgrade refused: ${client.status}`);
  for (const s of subscriptions) client.socket.write(subscriptionFrame(s.type, s.uuid));
  const acks = (frames: ServerFrame[]) => frames.filter((f) => f.kind === "text" && f.text.includes('"ack"'));
  await client.readUntil((frames) => acks(frames).length >= subscriptions.length);
  client.pause();
  return client;
}
