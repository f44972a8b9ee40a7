// One HTTP/1.1 request over a plain TCP socket, bytes exactly as given. fetch() cannot send what
// the fuzzer needs: it normalises `..` and `%2e%2e` out of paths, refuses bad header values and
// always tells the truth about the body. Each request gets its own connection
// (`Connection: close`); the answer is complete at its Content-Length, at the end of its chunked
// body, or when the server closes the connection. No complete answer before the deadline is a hang.
import type { Socket } from "bun";

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: path and query, percent-encoding untouched. */
  target: string;
  headers: Record<string, string>;
  /**
   * Sent after the head, as one piece or several (so that cases can share a huge filler);
   * `Content-Length` is set from it unless `headers` already has one.
   */
  body?: Uint8Array | Uint8Array[];
}

export type RawOutcome = "answered" | "hang" | "closed" | "refused";

export interface RawResponse {
  outcome: RawOutcome;
  /** 0 unless answered. */
  status: number;
  /** The body, de-chunked; empty unless answered. */
  body: Buffer;
  ms: number;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const WRITE_SLICE_BYTES = 256 * 1024;

interface Framing {
  headEnd: number;
  status: number;
  contentLength: number | null;
  chunked: boolean;
  noBody: boolean;
}

function parseHead(buf: Buffer, method: string): Framing | null {
  const end = buf.indexOf(HEAD_END);
  if (end === -1) return null;
  const head = buf.subarray(0, end).toString("latin1");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1];
  return {
    headEnd: end + HEAD_END.length,
    status,
    contentLength: length === undefined ? null : Number(length),
    chunked: /\r\ntransfer-encoding:[^\r]*chunked/i.test(head),
    noBody: method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200),
  };
}

/** The payload of a chunked body, or null while it is incomplete. */
function dechunk(buf: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = buf.indexOf("\r\n", at);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size)) return Buffer.concat(parts);
    if (size === 0) return buf.indexOf("\r\n", lineEnd + 2) === -1 ? null : Buffer.concat(parts);
    const start = lineEnd + 2;
    if (buf.length < start + size + 2) return null;
    parts.push(buf.subarray(start, start + size));
    at = start + size + 2;
  }
}

export async function rawRequest(
  host: string,
  port: number,
  req: RawRequest,
  deadlineMs: number,
): Promise<RawResponse> {
  const startedAt = performance.now();
  const body = req.body === undefined ? [] : Array.isArray(req.body) ? req.body : [req.body];
  const bodyBytes = body.reduce((n, part) => n + part.length, 0);
  const hasLength = Object.keys(req.headers).some((h) => h.toLowerCase() === "content-length");
  const headers = {
    ...req.headers,
    ...(hasLength || !req.body ? {} : { "Content-Length": String(bodyBytes) }),
  };
  const head =
    `${req.method} ${req.target} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    "\r\n";
  const outgoing = Buffer.concat([Buffer.from(head, "latin1"), ...body]);

  const { promise, resolve } = Promise.withResolvers<RawResponse>();
  const chunks: Buffer[] = [];
  let received = 0;
  let framing: Framing | null = null;
  let sent = 0;
  let settled = false;
  let socketRef: Socket | null = null;
  const finish = (outcome: RawOutcome, status = 0, answer: Buffer = Buffer.alloc(0)) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socketRef?.terminate();
    resolve({ outcome, status, body: answer, ms: performance.now() - startedAt });
  };
  /** Settles when the answer is complete; `eof` when the server closed the connection. */
  const inspect = (eof: boolean) => {
    // A body with a length is only put together once it is all there.
    if (!eof && framing?.contentLength != null && received < framing.headEnd + framing.contentLength) return;
    const all = Buffer.concat(chunks, received);
    framing ??= parseHead(all, req.method);
    if (!framing) {
      if (eof) finish("closed");
      return;
    }
    const rest = all.subarray(framing.headEnd);
    if (framing.noBody) finish("answered", framing.status);
    else if (framing.chunked) {
      const payload = dechunk(rest);
      if (payload) finish("answered", framing.status, payload);
      else if (eof) finish("answered", framing.status, rest);
    } else if (framing.contentLength !== null && rest.length >= framing.contentLength) {
      finish("answered", framing.status, rest.subarray(0, framing.contentLength));
    } else if (eof) finish("answered", framing.status, rest);
  };
  const pump = (socket: Socket) => {
    while (sent < outgoing.length) {
      const wrote = socket.write(
        outgoing.subarray(sent, Math.min(outgoing.length, sent + WRITE_SLICE_BYTES)),
      );
      if (wrote <= 0) return;
      sent += wrote;
    }
  };
  const timer = setTimeout(() => finish("hang"), deadlineMs);
  try {
    socketRef = await Bun.connect({
      hostname: host,
      port,
      socket: {
        open: pump,
        drain: pump,
        data(_socket, data) {
          chunks.push(Buffer.from(data));
          received += data.length;
          inspect(false);
        },
        end: () => inspect(true),
        close: () => inspect(true),
        error: () => inspect(true),
      },
    });
    if (settled) socketRef.terminate();
  } catch {
    finish("refused");
  }
  return promise;
}
