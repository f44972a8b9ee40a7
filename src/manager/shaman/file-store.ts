// The file store: which blobs Shaman has, and receiving uploads into it. An upload is written to
// its own temporary file under `uploading/`, checked against the declared size and SHA-256, and
// only then renamed into `stored/`, so `stored/` never holds a partial or wrong file, whatever
// happens to the client or the Manager mid-upload. One upload of a blob is written at a time:
// others of the same blob wait for it (or, when the client can defer, are told to come back
// later) and then answer "already stored" without reading their body.
import { mkdir, rename, rm, stat, utimes } from "node:fs/promises";
import type { Clock } from "../../shared/clock";
import { ApiError } from "../errors";
import { blobDir, blobKey, blobPath, uploadTempPath, type BlobId, type ShamanLayout } from "./paths";
import type { ReceiveFile } from "./receive-file";

export type BlobStatus = "unknown" | "uploading" | "stored";

/** How an upload ended: `stored` by this request, or `already-stored` (by someone else). */
export type UploadOutcome = "stored" | "already-stored";

export interface FileStoreDeps {
  layout: ShamanLayout;
  receive: ReceiveFile;
  clock: Clock;
  log: (msg: string) => void;
}

export type FileStore = ReturnType<typeof createFileStore>;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

export function createFileStore(deps: FileStoreDeps) {
  const { layout } = deps;
  /** Uploads being written, by blob: resolves true when that upload stored the blob. */
  const writing = new Map<string, Promise<boolean>>();

  async function isStored(id: BlobId): Promise<boolean> {
    try {
      return (await stat(blobPath(layout, id))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Writes one upload into the store; a size or checksum mismatch is a 417 and stores nothing. */
  async function write(id: BlobId, body: ReadableStream<Uint8Array>, originalName: string): Promise<void> {
    const temp = uploadTempPath(layout, id);
    await mkdir(layout.uploading, { recursive: true, mode: 0o777 });
    let renamed = false;
    try {
      const got = await deps.receive(body, temp, id.size);
      if (got.truncated || got.bytes !== id.size) {
        const received = got.truncated ? `more than ${id.size}` : String(got.bytes);
        throw new ApiError(417, `file size mismatched, declared ${id.size} but received ${received} bytes`);
      }
      if (got.sha256 !== id.sha) {
        throw new ApiError(417, `file SHA256 mismatched, declared ${id.sha} but received ${got.sha256}`);
      }
      await mkdir(blobDir(layout, id), { recursive: true, mode: 0o777 });
      await rename(temp, blobPath(layout, id));
      renamed = true;
      deps.log(`shaman: stored ${blobKey(id)} (${JSON.stringify(originalName)})`);
    } finally {
      if (!renamed) await rm(temp, { force: true });
    }
  }

  return {
    isStored,

    async status(id: BlobId): Promise<BlobStatus> {
      if (await isStored(id)) return "stored";
      return writing.has(blobKey(id)) ? "uploading" : "unknown";
    },

    /**
     * Receives `body` as the blob `id`. With `canDefer`, answers 425 while another upload of
     * the blob is being written; without, waits for it, and takes over if it fails.
     */
    async upload(
      id: BlobId,
      body: ReadableStream<Uint8Array> | null,
      opts: { canDefer: boolean; originalName: string },
    ): Promise<UploadOutcome> {
      const key = blobKey(id);
      for (;;) {
        if (await isStored(id)) return "already-stored";
        const other = writing.get(key);
        if (!other) break;
        if (opts.canDefer) throw new ApiError(425, "file is already being uploaded; upload it later");
        if (await other) return "already-stored";
      }
      const done = Promise.withResolvers<boolean>();
      writing.set(key, done.promise);
      try {
        await write(id, body ?? new Blob([]).stream(), opts.originalName);
        done.resolve(true);
        return "stored";
      } catch (err) {
        done.resolve(false);
        throw err;
      } finally {
        writing.delete(key);
      }
    },

    /** Marks blobs as used now, so garbage collection keeps them; missing ones are skipped. */
    async touch(paths: string[]): Promise<void> {
      const now = deps.clock.now();
      await Promise.all(paths.map((p) => utimes(p, now, now).catch(() => undefined)));
    },

    /**
     * Removes what uploads cut short by a crash left in `uploading/`. Only at start-up, when no
     * upload of this Manager is running (the database lock keeps a second Manager away).
     */
    async removeUploadLeftovers(): Promise<void> {
      await rm(layout.uploading, { recursive: true, force: true });
    },
  };
}
