// Helpers that build the `responses` part of route definitions, so every error status
// carries the Error body and every success status its schema, with literal status keys.
import type { ZodType } from "zod";
import { ErrorSchema } from "./common";

export type ErrorStatus =
  400 | 401 | 403 | 404 | 406 | 409 | 411 | 412 | 413 | 415 | 416 | 417 | 422 | 424 | 425 | 429 | 500 | 503;

const DEFAULT_ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: "The request was malformed or failed validation.",
  401: "The caller has not proved who they are.",
  403: "The worker credentials are missing or wrong.",
  404: "The referenced object does not exist.",
  406: "The request cannot be honoured as given.",
  409: "The request conflicts with the current state.",
  411: "The request lacks a Content-Length.",
  412: "A precondition of the request does not hold.",
  413: "The request body is too large.",
  415: "The request body has an unsupported media type.",
  416: "Nothing matches the request.",
  417: "The uploaded content does not match what was declared.",
  422: "The request is well-formed but cannot be processed.",
  424: "A dependency of the request is missing.",
  425: "The request should be repeated later.",
  429: "Too many requests; the client should slow down.",
  500: "An unexpected server-side error occurred.",
  503: "The service is temporarily unavailable; retry later.",
};

interface ErrorResponse {
  description: string;
  content: { "application/json": { schema: typeof ErrorSchema } };
}

/**
 * Error responses keyed by status. A description may be given per status; `true` uses the
 * generic one.
 */
export function errorResponses<const T extends Partial<Record<ErrorStatus, string | true>>>(
  statuses: T,
): { [K in keyof T & ErrorStatus]: ErrorResponse } {
  const out: Partial<Record<ErrorStatus, ErrorResponse>> = {};
  for (const [key, given] of Object.entries(statuses)) {
    const status = Number(key) as ErrorStatus;
    out[status] = {
      description: given === true ? DEFAULT_ERROR_DESCRIPTIONS[status] : String(given),
      content: { "application/json": { schema: ErrorSchema } },
    };
  }
  return out as { [K in keyof T & ErrorStatus]: ErrorResponse };
}

export function jsonResponse<T extends ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function emptyResponse(description: string) {
  return { description };
}
