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
