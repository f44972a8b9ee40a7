// Wire schemas for Shaman: content-addressed file uploads and job checkouts built from them.
import { z } from "@hono/zod-openapi";

/** Hex SHA-256 digest, as the add-on sends it. */
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

export const sha256 = () => z.string().regex(SHA256_PATTERN);

export const ShamanFileStatus = z
  .enum(["unknown", "uploading", "stored"])
  .openapi("ShamanFileStatus", { description: "Whether Shaman has a file, is receiving it, or lacks it." });

export const ShamanSingleFileStatus = z
  .object({ status: ShamanFileStatus })
  .openapi("ShamanSingleFileStatus", { description: "Shaman's knowledge of one file." });

const fileFields = {
  sha: sha256().openapi({ description: "SHA-256 checksum of the contents." }),
  size: z.number().int().min(0).openapi({ description: "Size in bytes." }),
  path: z.string().min(1).openapi({ description: "Path of the file inside the checkout." }),
};

export const ShamanFileSpec = z
  .object(fileFields)
  .openapi("ShamanFileSpec", { description: "A file identified by checksum and size, placed at a path." });

export const ShamanFileSpecWithStatus = z
  .object({ ...fileFields, status: ShamanFileStatus })
  .openapi("ShamanFileSpecWithStatus", {
    description: "A file specification with Shaman's knowledge of it.",
  });

export const ShamanRequirementsRequest = z
  .object({ files: z.array(ShamanFileSpec) })
  .openapi("ShamanRequirementsRequest", { description: "Files a client is about to check out." });

export const ShamanRequirementsResponse = z
  .object({ files: z.array(ShamanFileSpecWithStatus) })
  .openapi("ShamanRequirementsResponse", {
    description: "The requested files Shaman does not fully have yet; stored files are left out.",
  });

export const ShamanCheckout = z
  .object({
    files: z.array(ShamanFileSpec),
    checkoutPath: z.string().min(1).openapi({
      description: "Wanted checkout directory, relative to the Shaman checkout root (may contain slashes).",
    }),
  })
  .openapi("ShamanCheckout", { description: "Request to assemble stored files into a checkout directory." });

export const ShamanCheckoutResult = z
  .object({
    checkoutPath: z.string().openapi({
      description:
        "Checkout directory actually created, relative to the checkout root; a suffix is added " +
        "when the requested one already existed.",
    }),
  })
  .openapi("ShamanCheckoutResult", { description: "Where a checkout was created." });

export const TablaoShamanGc = z
  .object({
    ran_at: z.string().openapi({ description: "When the sweep ran (RFC 3339)." }),
    dry_run: z.boolean(),
    blobs: z.number().int().openapi({ description: "Blobs in the store when the sweep ran." }),
    removed: z.number().int().openapi({ description: "Blobs deleted." }),
    removed_bytes: z.number().int().openapi({ description: "Bytes freed." }),
    kept: z.number().int().openapi({ description: "Old enough, but still referenced by a checkout." }),
  })
  .openapi("TablaoShamanGc", { description: "The outcome of a Shaman garbage-collection sweep." });

export const TablaoShamanStatus = z
  .object({
    enabled: z.boolean().openapi({ description: "Shaman runs on this Manager." }),
    link_mode: z.enum(["symlink", "hardlink", "copy"]).optional().openapi({
      description: "How checkouts show stored files: symbolic links, or the fallback the storage allows.",
    }),
    blobs: z.number().int().optional().openapi({ description: "Files in the store." }),
    blob_bytes: z.number().int().optional().openapi({ description: "Their total size in bytes." }),
    gc_period_seconds: z.number().optional().openapi({ description: "Time between sweeps; 0: never." }),
    gc_max_age_seconds: z.number().optional().openapi({ description: "Unused blobs older than this go." }),
    last_gc: TablaoShamanGc.optional().openapi({ description: "The last sweep since start-up, if any." }),
  })
  .openapi("TablaoShamanStatus", { description: "What the dashboard shows of Shaman." });
