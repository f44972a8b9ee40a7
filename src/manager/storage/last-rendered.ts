// Last-rendered images (see docs/storage.md): reading an upload, a small bounded queue of
// uploaded images, one background processor turning each into three JPEG thumbnails in the
// job's folder, the farm-wide "latest job with an image" pointer, and the info views of the API.
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { Clock } from "../../shared/clock";
import type { Db } from "../db/connection";
import { lastRenderedJobUUID, liveJobIdByUUID, setLastRenderedJob } from "../db/queries/last-rendered";
import { inTransaction } from "../db/transaction";
import { ApiError } from "../errors";
import { emitAfterCommit, type EventBroker } from "../events/broker";
import { lastRenderedUpdates, type LastRenderedThumbnail } from "../events/payloads";
import type { StorageLayout } from "./layout";

/** Largest accepted upload (Flamenco's limit); checked before the body is read. */
export const LAST_RENDERED_MAX_BYTES = 25 * 1024 * 1024;
/** Images accepted but not yet processed (incl. the one in progress); more are refused (429). */
export const LAST_RENDERED_QUEUE_CAPACITY = 3;
export const LAST_RENDERED_MIME_TYPES: readonly string[] = ["image/jpeg", "image/png"];
export const THUMBNAIL_JPEG_QUALITY = 85;
/** Largest first: each is made from the previous one, fitted inside the box, never enlarged. */
export const THUMBNAILS = [
  { file: "last-rendered.jpg", width: 1920, height: 1080 },
  { file: "last-rendered-small.jpg", width: 600, height: 338 },
  { file: "last-rendered-tiny.jpg", width: 200, height: 112 },
] as const;
/** The smallest thumbnail, made last: its presence means "this job has an image". */
const PRESENCE_FILE = THUMBNAILS[2].file;

const SHARP_FORMAT_OF_MIME: Record<string, string> = { "image/jpeg": "jpeg", "image/png": "png" };

export interface UploadedImage {
  jobUUID: string;
  mimeType: string;
  image: Uint8Array;
}

export interface LastRenderedDeps {
  db: Db;
  broker: EventBroker;
  /** Processing starts on a timer of this clock, so tests decide when the queue drains. */
  clock: Clock;
  layout: StorageLayout;
  warn: (msg: string) => void;
}

/** Bun rejects a body read with an AbortError (and an empty stack) when the client hangs up. */
function clientWentAway(request: Request, err: unknown): boolean {
  return request.signal.aborted || (err instanceof DOMException && err.name === "AbortError");
}

/**
 * Writes `data` to `path` under a temporary name, then renames it, so the web UI never loads a
 * half-written file; on failure (disk full, read-only) the temporary file is removed again, so a
 * full disk is not filled further, and the error names the file.
 */
async function writeWhole(path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export function createLastRendered(deps: LastRenderedDeps) {
  const { db, broker, clock, layout, warn } = deps;
  const queue: UploadedImage[] = [];
  /** A drain is scheduled or running; it takes every image queued before it finishes. */
  let draining = false;
  let idleWaiters: (() => void)[] = [];

  function thumbnailInfo(jobUUID: string): LastRenderedThumbnail {
    return { base: layout.urlOf(layout.jobDir(jobUUID)), suffixes: THUMBNAILS.map((t) => t.file) };
  }

  /** Null when the job has no image (yet). */
  function jobInfo(jobUUID: string): LastRenderedThumbnail | null {
    return existsSync(join(layout.jobDir(jobUUID), PRESENCE_FILE)) ? thumbnailInfo(jobUUID) : null;
  }

  async function makeThumbnails(upload: UploadedImage): Promise<void> {
    const expected = SHARP_FORMAT_OF_MIME[upload.mimeType];
    const { format } = await sharp(upload.image).metadata();
    if (format !== expected)
      throw new Error(`image is ${format ?? "not decodable"}, but was sent as ${upload.mimeType}`);
    const dir = layout.jobDir(upload.jobUUID);
    await mkdir(dir, { recursive: true }).catch((err: Error) => {
      throw new Error(`cannot create ${dir}: ${err.message}`);
    });
    let source: Uint8Array = upload.image;
    for (const thumb of THUMBNAILS) {
      const jpeg = await sharp(source)
        .resize({
          width: thumb.width,
          height: thumb.height,
          fit: "inside",
          withoutEnlargement: true,
          kernel: "lanczos3",
        })
        .jpeg({ quality: THUMBNAIL_JPEG_QUALITY })
        .toBuffer();
      await writeWhole(join(dir, thumb.file), jpeg);
      source = jpeg;
    }
  }

  function markLastRendered(jobUUID: string): void {
    inTransaction(db, (tx) => {
      // The job may have been deleted while its thumbnails were made.
      const jobId = liveJobIdByUUID(tx, jobUUID);
      if (jobId === null) return;
      setLastRenderedJob(tx, jobId);
      const emit = emitAfterCommit(broker, tx);
      for (const e of lastRenderedUpdates(jobUUID, thumbnailInfo(jobUUID))) emit(e);
    });
  }

  async function drain(): Promise<void> {
    try {
      // Each image leaves the queue once handled (`finally`), so the next one is at its head.
      for (let upload = queue[0]; upload !== undefined; upload = queue[0]) {
        try {
          // The job may have gone while its image waited in the queue.
          if (liveJobIdByUUID(db, upload.jobUUID) === null) continue;
          await makeThumbnails(upload);
          markLastRendered(upload.jobUUID);
        } catch (err) {
          // The worker got its 202 long ago; all that is left to do is say why nothing shows.
          warn(`last-rendered: dropping image of job ${upload.jobUUID}: ${(err as Error).message}`);
        } finally {
          queue.shift();
        }
      }
    } finally {
      draining = false;
      for (const w of idleWaiters) w();
      idleWaiters = [];
    }
  }

  return {
    /**
     * The body of an upload for the job. A client that goes away mid-body (a worker stopped or
     * lost its network) is a warning, not a server error: 400, which nobody is left to read.
     */
    async readUpload(request: Request, jobUUID: string): Promise<Uint8Array> {
      try {
        return new Uint8Array(await request.arrayBuffer());
      } catch (err) {
        if (!clientWentAway(request, err)) throw err;
        const length = request.headers.get("Content-Length") ?? "?";
        warn(
          `last-rendered: the client went away while uploading an image of job ${jobUUID} ` +
            `(the connection closed before its ${length} bytes arrived)`,
        );
        throw new ApiError(400, "upload aborted: the connection closed before the whole image arrived");
      }
    },

    /** False when the queue is full: the image is dropped (the caller answers 429). */
    enqueue(upload: UploadedImage): boolean {
      if (queue.length >= LAST_RENDERED_QUEUE_CAPACITY) return false;
      queue.push(upload);
      if (!draining) {
        draining = true;
        clock.setTimeout(() => void drain(), 0);
      }
      return true;
    },

    jobInfo,

    /** The job that most recently got an image; null when none has (or its files are gone). */
    globalInfo(): LastRenderedThumbnail | null {
      const jobUUID = lastRenderedJobUUID(db);
      return jobUUID === null ? null : jobInfo(jobUUID);
    },

    /** Resolves once every accepted image is processed (tests, shutdown). */
    idle(): Promise<void> {
      if (!draining) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

export type LastRendered = ReturnType<typeof createLastRendered>;
