// Route definitions (no handlers) for the `shaman` operations: file status checks, uploads,
// checkout requirements and checkout creation.
import { createRoute, z } from "@hono/zod-openapi";
import {
  ShamanCheckout,
  ShamanCheckoutResult,
  ShamanRequirementsRequest,
  ShamanRequirementsResponse,
  ShamanSingleFileStatus,
  TablaoShamanStatus,
  emptyResponse,
  errorResponses,
  jsonResponse,
  sha256,
} from "../schemas";
import { CHECKOUT_REQUEST_MAX_BODY_BYTES, SHAMAN_UPLOAD_MAX_BYTES } from "../../shaman/limits";

const tags = ["shaman"];

const shamanOff = { 503: "Shaman is not running (disabled, or the Manager is not set up yet)." } as const;

const fileParams = z.object({
  checksum: sha256().openapi({
    param: { name: "checksum", in: "path" },
    description: "SHA-256 checksum of the file, in hex.",
  }),
  filesize: z
    .string()
    .regex(/^[0-9]+$/)
    .transform(Number)
    .openapi({
      param: { name: "filesize", in: "path", required: true },
      description: "Size of the file in bytes.",
      type: "integer",
      minimum: 0,
    }),
});

/** Spellings Go's `strconv.ParseBool` accepts, which is what Flamenco clients may send. */
const TRUE_SPELLINGS = ["1", "t", "T", "TRUE", "true", "True"] as const;
const FALSE_SPELLINGS = ["0", "f", "F", "FALSE", "false", "False"] as const;

const uploadHeaders = z.object({
  "x-shaman-can-defer-upload": z
    .enum([...TRUE_SPELLINGS, ...FALSE_SPELLINGS])
    .transform((v) => (TRUE_SPELLINGS as readonly string[]).includes(v))
    .optional()
    .openapi({
      param: { name: "x-shaman-can-defer-upload", in: "header" },
      type: "boolean",
      description:
        "The client can upload this file later. The Manager then answers 425 instead of " +
        "accepting a second upload while another client is still uploading the same file.",
    }),
  "x-shaman-original-filename": z
    .string()
    .optional()
    .openapi({
      param: { name: "x-shaman-original-filename", in: "header" },
      description: "Original file name, for the server log only. ASCII, or RFC 2047 encoded UTF-8.",
    }),
});

export const shamanCheckoutRequirements = createRoute({
  method: "post",
  path: "/api/v3/shaman/checkout/requirements",
  operationId: "shamanCheckoutRequirements",
  "x-tablao-access": "submitter",
  // The specs of every file of a submission: big productions send tens of thousands.
  "x-tablao-max-body-bytes": CHECKOUT_REQUEST_MAX_BODY_BYTES,
  tags,
  summary: "Find out which files of a planned checkout still need uploading",
  request: {
    body: { required: true, content: { "application/json": { schema: ShamanRequirementsRequest } } },
  },
  responses: {
    200: jsonResponse(ShamanRequirementsResponse, "The files that are unknown or still being uploaded."),
    ...errorResponses({ 400: "The body is invalid.", 500: true, ...shamanOff }),
  },
});

export const shamanCheckout = createRoute({
  method: "post",
  path: "/api/v3/shaman/checkout/create",
  operationId: "shamanCheckout",
  "x-tablao-access": "submitter",
  "x-tablao-max-body-bytes": CHECKOUT_REQUEST_MAX_BODY_BYTES,
  tags,
  summary: "Create a checkout directory of links to uploaded files",
  description: "Every file must have been uploaded completely before the checkout is requested.",
  request: {
    body: { required: true, content: { "application/json": { schema: ShamanCheckout } } },
  },
  responses: {
    200: jsonResponse(ShamanCheckoutResult, "The checkout exists at the returned path."),
    ...errorResponses({
      400: "The body is invalid or the checkout path is not acceptable.",
      409: "No unused checkout directory could be found for this path.",
      424: "Some files are not stored yet; ask for the requirements to see which.",
      500: true,
      ...shamanOff,
    }),
  },
});

export const shamanFileStoreCheck = createRoute({
  method: "get",
  path: "/api/v3/shaman/files/{checksum}/{filesize}",
  operationId: "shamanFileStoreCheck",
  "x-tablao-access": "submitter",
  tags,
  summary: "Ask whether Shaman has a file",
  request: { params: fileParams },
  responses: {
    200: jsonResponse(ShamanSingleFileStatus, "What Shaman knows of the file."),
    ...errorResponses({ 400: "The checksum or size is malformed.", 500: true, ...shamanOff }),
  },
});

export const shamanFileStore = createRoute({
  method: "post",
  path: "/api/v3/shaman/files/{checksum}/{filesize}",
  operationId: "shamanFileStore",
  "x-tablao-access": "submitter",
  // Whole files of a submission, streamed to disk; the declared size bounds what is read.
  "x-tablao-max-body-bytes": SHAMAN_UPLOAD_MAX_BYTES,
  tags,
  summary: "Upload a file to Shaman",
  description:
    "The body is the file's contents. If another client finishes uploading the same file " +
    "first, the Manager may stop reading this upload and answer 208.",
  request: {
    params: fileParams,
    headers: uploadHeaders,
    body: {
      required: true,
      content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
    },
  },
  responses: {
    204: emptyResponse("The file is stored."),
    208: emptyResponse("Shaman already has the file."),
    ...errorResponses({
      400: "The checksum, size or a header is malformed.",
      411: "The request lacks a Content-Length.",
      413: "The declared size is above what Shaman accepts.",
      417: "The received contents do not match the declared size or checksum.",
      425: "Another client is uploading this file; try again later.",
      500: true,
      ...shamanOff,
    }),
  },
});

export const fetchTablaoShamanStatus = createRoute({
  method: "get",
  path: "/api/tablao/shaman/status",
  operationId: "fetchTablaoShamanStatus",
  "x-tablao-access": "operator",
  tags: ["tablao-shaman"],
  summary: "Shaman's state: running, size of the file store, last garbage collection",
  responses: {
    200: jsonResponse(TablaoShamanStatus, "Shaman's state."),
    ...errorResponses({ 500: true }),
  },
});
