// An upload over a plain TCP socket, for what fetch cannot do: send a body of any size generated
// on the fly with a Content-Length (no buffering on either side), stop half-way, or vanish.
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface RawUpload {
  /** Resolves once `sendBytes` bytes of the body are written (all of it by default). */
  sent: Promise<void>;
  /** The status and body of the answer; rejects if the connection closes first. */
  response: Promise<{ status: number; text: string }>;
  /** Closes the connection at once (a client that disappears). */
  destroy(): void;
}

export interface RawUploadOptions {
  url: string;
  path: string;
  headers?: Record<string, string>;
  /** The Content-Length announced. */
  size: number;
  /** The body's bytes from `offset`, at most `max` of them. */
  chunk: (offset: number, max: number) => Uint8Array;
  /** Write only this much of the body, then keep the connection open. */
  sendBytes?: number;
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
}

const CHUNK_BYTES = 1024 * 1024;

export function rawUpload(opts: RawUploadOptions): RawUpload {
  const target = new URL(opts.url);
  const socket: Socket = connect(Number(target.port), target.hostname);
  const head = [
    `POST ${opts.path} HTTP/1.1`,
    `Host: ${target.host}`,
    "Content-Type: application/octet-stream",
    opts.chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${opts.size}`,
    ...Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ].join("\r\n");
  const limit = opts.sendBytes ?? opts.size;

  const sent = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write(head);
      let offset = 0;
      const pump = () => {
        while (offset < limit) {
          const piece = opts.chunk(offset, Math.min(CHUNK_BYTES, limit - offset));
          offset += piece.byteLength;
          const framed = opts.chunked
            ? Buffer.concat([
                Buffer.from(`${piece.byteLength.toString(16)}\r\n`),
                piece,
                Buffer.from(offset === limit ? "\r\n0\r\n\r\n" : "\r\n"),
              ])
            : piece;
          if (!socket.write(framed)) {
            socket.once("drain", pump);
            return;
          }
        }
        resolve();
      };
      pump();
    });
  });
  sent.catch(() => undefined);

  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    let data = "";
    socket.on("data", (buf: Buffer) => {
      data += buf.toString("latin1");
      const end = data.indexOf("\r\n\r\n");
      if (end === -1) return;
      const length = Number(/content-length: (\d+)/i.exec(data.slice(0, end))?.[1] ?? 0);
      if (data.length - end - 4 < length) return;
      resolve({ status: Number(data.slice(9, 12)), text: data.slice(end + 4, end + 4 + length) });
      socket.destroy();
    });
    socket.on("close", () => reject(new Error("connection closed before an answer")));
    socket.on("error", reject);
  });
  response.catch(() => undefined);

  return { sent, response, destroy: () => socket.destroy() };
}

/** Deterministic pseudo-random contents of any size, made from one block repeated. */
export function patternBody(blockBytes = CHUNK_BYTES) {
  const block = new Uint8Array(randomBytes(blockBytes));
  return (offset: number, max: number): Uint8Array => {
    const start = offset % blockBytes;
    return block.subarray(start, Math.min(blockBytes, start + max));
  };
}

/** SHA-256 (hex) of the first `size` bytes `chunk` makes. */
export function digestOf(chunk: RawUploadOptions["chunk"], size: number): string {
  const hash = createHash("sha256");
  for (let offset = 0; offset < size;) {
    const piece = chunk(offset, Math.min(CHUNK_BYTES, size - offset));
    hash.update(piece);
    offset += piece.byteLength;
  }
  return hash.digest("hex");
}
