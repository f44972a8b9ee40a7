// Route definitions (no handlers) of Tablao's webhook API under /api/tablao: the delivery log and
// sending a test delivery. Hooks themselves are configured in flamenco-manager.yaml (the Settings
// page edits them there). Not part of Flamenco's contract (tag `tablao-webhooks`); docs/webhooks.md.
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonResponse } from "../schemas";
import { TablaoWebhookDeliveries, TablaoWebhookDelivery } from "../schemas/webhooks";

const tags = ["tablao-webhooks"];
const WEBHOOK_DELIVERIES_DEFAULT_LIMIT = 100;
const WEBHOOK_DELIVERIES_MAX_LIMIT = 1_000;
/** The test request has no body. */
const WEBHOOK_TEST_MAX_BODY_BYTES = 1_024;
/** Hook names are short labels; anything longer cannot be a configured hook. */
const WEBHOOK_NAME_MAX_CHARS = 200;

export const fetchTablaoWebhookDeliveries = createRoute({
  method: "get",
  path: "/api/tablao/webhooks/deliveries",
  operationId: "fetchTablaoWebhookDeliveries",
  "x-tablao-access": "admin",
  tags,
  summary: "List recent webhook deliveries, newest first",
  request: {
    query: z.object({
      hook: z
        .string()
        .max(WEBHOOK_NAME_MAX_CHARS)
        .optional()
        .openapi({ description: "Only this webhook's." }),
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(WEBHOOK_DELIVERIES_MAX_LIMIT)
        .default(WEBHOOK_DELIVERIES_DEFAULT_LIMIT)
        .openapi({ type: "integer", description: "How many deliveries at most." }),
    }),
  },
  responses: {
    200: jsonResponse(TablaoWebhookDeliveries, "The delivery log."),
    ...errorResponses({ 400: "The query is invalid." }),
  },
});

export const sendTablaoWebhookTest = createRoute({
  method: "post",
  path: "/api/tablao/webhooks/{name}/test",
  operationId: "sendTablaoWebhookTest",
  "x-tablao-access": "admin",
  "x-tablao-max-body-bytes": WEBHOOK_TEST_MAX_BODY_BYTES,
  tags,
  summary: "Send a test delivery to a configured webhook now and say how it went",
  description:
    "Sent once, without retries, even when the webhook is disabled; the delivery is kept in the " +
    "delivery log. A receiver that refuses or cannot be reached is reported in the delivery's " +
    "status and last_error, not as an error of this request.",
  request: {
    params: z.object({
      name: z.string().min(1).max(WEBHOOK_NAME_MAX_CHARS).openapi({ description: "The webhook's name." }),
    }),
  },
  responses: {
    200: jsonResponse(TablaoWebhookDelivery, "The test delivery, after its attempt."),
    ...errorResponses({ 400: "The name is invalid.", 404: "No webhook has this name." }),
  },
});
