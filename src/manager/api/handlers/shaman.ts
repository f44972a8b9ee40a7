// Handlers of the Shaman operations (src/manager/shaman/): file status checks, streamed uploads,
// checkout requirements, checkouts, and Tablao's Shaman status for the dashboard. While Shaman
// does not run (disabled, or a first run) every operation answers 503, which tells the Blender
// add-on to copy job files to the shared storage itself.
import { ApiError } from "../../errors";
import { SHAMAN_UPLOAD_MAX_BYTES } from "../../shaman/limits";
import type { Shaman } from "../../shaman/service";
import type { Handlers } from "./registry";

const SHAMAN_OFF = "shaman server not active";

/** RFC 2047 encoded-word, the one form Flamenco clients use for non-ASCII file names. */
const ENCODED_WORD = /^=\?([^?]+)\?([bBqQ])\?([^?]*)\?=$/;
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

/** The original file name of an upload (for the log only); an undecodable one is a 400. */
function decodeOriginalFilename(header: string | undefined): string {
  if (header === undefined) return "";
  const word = ENCODED_WORD.exec(header);
  if (!word) {
    if (!PRINTABLE_ASCII.test(header))
      throw new ApiError(400, "X-Shaman-Original-Filename must be ASCII or RFC 2047 encoded");
    return header;
  }
  const [, charset, encoding, text] = word as unknown as [string, string, string, string];
  if (!/^utf-?8$/i.test(charset))
    throw new ApiError(400, `X-Shaman-Original-Filename: unsupported charset ${charset}`);
  const bytes =
    encoding.toUpperCase() === "B"
      ? Buffer.from(text, "base64")
      : Buffer.from(
          text
            .replaceAll("_", " ")
            .replace(/=([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          "latin1",
        );
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, "X-Shaman-Original-Filename is not valid UTF-8");
  }
}

export function shamanHandlers(shaman: Shaman | null): Handlers {
  const running = (): Shaman => {
    if (!shaman) throw new ApiError(503, SHAMAN_OFF);
    return shaman;
  };
  return {
    shamanFileStoreCheck: async (c) => {
      const { checksum, filesize } = c.req.valid("param");
      const status = await running().fileStore.status({ sha: checksum.toLowerCase(), size: filesize });
      return c.json({ status }, 200);
    },

    shamanFileStore: async (c) => {
      const s = running();
      const { checksum, filesize } = c.req.valid("param");
      const headers = c.req.valid("header");
      const originalName = decodeOriginalFilename(headers["x-shaman-original-filename"]);
      if (filesize > SHAMAN_UPLOAD_MAX_BYTES)
        throw new ApiError(
          413,
          `file too large: Shaman accepts files up to ${SHAMAN_UPLOAD_MAX_BYTES} bytes`,
        );
      const id = { sha: checksum.toLowerCase(), size: filesize };
      // A body whose announced length already differs cannot match: refuse it unread.
      const announced = c.req.header("content-length");
      if (announced !== undefined && Number(announced) !== filesize && !(await s.fileStore.isStored(id))) {
        throw new ApiError(417, `file size mismatched, declared ${filesize} but received ${announced} bytes`);
      }
      const outcome = await s.upload(id, c.req.raw.body, {
        canDefer: headers["x-shaman-can-defer-upload"] ?? false,
        originalName,
      });
      return c.body(null, outcome === "stored" ? 204 : 208);
    },

    shamanCheckoutRequirements: async (c) => {
      const { files } = c.req.valid("json");
      return c.json({ files: await running().requirements(files) }, 200);
    },

    shamanCheckout: async (c) => {
      const { checkoutPath, files } = c.req.valid("json");
      return c.json({ checkoutPath: await running().checkout(checkoutPath, files) }, 200);
    },

    fetchTablaoShamanStatus: async (c) => {
      if (!shaman) return c.json({ enabled: false }, 200);
      const s = await shaman.status();
      const gc = s.lastGc;
      return c.json(
        {
          enabled: true,
          link_mode: s.linkMode,
          blobs: s.blobs,
          blob_bytes: s.blobBytes,
          gc_period_seconds: s.gcPeriodMs / 1000,
          gc_max_age_seconds: s.gcMaxAgeMs / 1000,
          ...(gc && {
            last_gc: {
              ran_at: gc.ranAt.toISOString(),
              dry_run: gc.dryRun,
              blobs: gc.blobs,
              removed: gc.removed.length,
              removed_bytes: gc.removedBytes,
              kept: gc.kept,
            },
          }),
        },
        200,
      );
    },
  };
}
