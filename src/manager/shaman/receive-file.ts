// The upload edge: copies a request body to a new file while computing its SHA-256, holding at
// most one write buffer in memory whatever the file's size. The only Bun-specific part of
// Shaman (Bun.CryptoHasher); the file store receives it as a dependency.
import { open } from "node:fs/promises";
import { UPLOAD_GC_EVERY_BYTES, UPLOAD_WRITE_BUFFER_BYTES } from "./limits";

export interface ReceivedFile {
  /** Bytes written; when the body was longer than `maxBytes`, maxBytes + 1 and `truncated`. */
  bytes: number;
  truncated: boolean;
  /** Lower-case hex SHA-256 of what was written. */
  sha256: string;
}

/**
 * Writes `body` to `path` (created new, mode 0666 less the umask, so workers running as other
 * users can read it), flushed to disk before this resolves. Reading stops after `maxBytes` + 1
 * bytes. Throws when the body breaks off (client gone) or on a write error; the file is then
 * left for the caller to remove.
 */
export type ReceiveFile = (
  body: ReadableStream<Uint8Array>,
  path: string,
  maxBytes: number,
) => Promise<ReceivedFile>;

/** Bytes received by all uploads since the last collection. */
let receivedSinceCollection = 0;

/**
 * Body chunks are garbage as soon as they are written, but they live outside the JavaScript
 * heap, and the collector lets them pile up (about 80 MiB more at the peak of a 2 GB upload, in
 * our measurement) unless asked to run. A full collection every UPLOAD_GC_EVERY_BYTES, across
 * all uploads, keeps the Manager's memory flat for a few milliseconds each time.
 */
function collectIfDue(bytes: number) {
  receivedSinceCollection += bytes;
  if (receivedSinceCollection < UPLOAD_GC_EVERY_BYTES) return;
  receivedSinceCollection = 0;
  Bun.gc(true);
}

export const receiveFile: ReceiveFile = async (body, path, maxBytes) => {
  const hasher = new Bun.CryptoHasher("sha256");
  const file = await open(path, "wx", 0o666);
  const reader = body.getReader();
  let bytes = 0;
  let truncated = false;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunks = pending;
    pending = [];
    pendingBytes = 0;
    await file.writev(chunks);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      if (bytes + chunk.byteLength > maxBytes) {
        chunk = chunk.subarray(0, maxBytes + 1 - bytes);
        truncated = true;
      }
      bytes += chunk.byteLength;
      hasher.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= UPLOAD_WRITE_BUFFER_BYTES) await flush();
      collectIfDue(chunk.byteLength);
      if (truncated) break;
    }
    await flush();
    await file.datasync();
  } finally {
    if (truncated) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
    await file.close();
  }
  return { bytes, truncated, sha256: hasher.digest("hex") };
};
