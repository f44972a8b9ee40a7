// Building blocks shared by every area of the wire contract: the Error body, UUID and
// timestamp field types, and path-parameter helpers.
import { z } from "@hono/zod-openapi";

/**
 * A UUID in the 36-character hyphenated hex form, any case, without version or variant check
 * (what Flamenco accepts); rendered as `format: uuid`.
 */
export const uuid = () => z.guid();

/**
 * A UUID, or the empty string Flamenco uses for "none" (an unassigned task's worker, a job
 * submitted without worker tag).
 */
export const uuidOrEmpty = () =>
  z.union([z.guid(), z.literal("")]).openapi({ type: "string", format: "uuid" });

/** RFC 3339 timestamp; both `Z` and numeric offsets are accepted. */
export const dateTime = () => z.iso.datetime({ offset: true });

/** A UUID path parameter; malformed values are rejected with 400 before any handler runs. */
export const uuidPathParam = (name: string, description: string) =>
  uuid().openapi({ param: { name, in: "path" }, description });

export const ErrorSchema = z
  .object({
    code: z
      .number()
      .int()
      .openapi({
        format: "int32",
        description:
          "The HTTP status of the response, repeated so the body is self-contained. A 503 means " +
          "the database was busy; the `Retry-After` header then says when to try again.",
      }),
    message: z.string().openapi({ description: "Human-readable explanation." }),
  })
  .openapi("Error", { description: "Body of every error response." });

/** The body of a failed worker authentication (403), as Flamenco's validator sends it: no `code`. */
export const SecurityError = z
  .object({ message: z.string() })
  .openapi("SecurityError", { description: "Reason the request failed authentication." });
