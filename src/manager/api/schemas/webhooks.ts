// Wire schemas of Tablao's webhook API (`/api/tablao/webhooks`, tag `tablao-webhooks`): the
// delivery log and the answer of a test delivery. See docs/webhooks.md.
import { z } from "@hono/zod-openapi";

export const TablaoWebhookDelivery = z
  .object({
    id: z.string().openapi({ description: "The delivery's id, sent as the X-Tablao-Delivery header." }),
    hook: z.string().openapi({ description: "Name of the webhook it is for." }),
    event: z.string().openapi({ description: "job.completed, job.failed, ..., or test." }),
    text: z.string().openapi({ description: "What happened, in one line." }),
    status: z.enum(["pending", "delivered", "failed", "dropped"]).openapi({
      description: "`failed`: given up; `dropped`: too many deliveries were pending for the hook.",
    }),
    attempts: z.number().int(),
    created: z.string().openapi({ format: "date-time" }),
    last_attempt: z.string().optional().openapi({ format: "date-time" }),
    next_attempt: z.string().optional().openapi({ format: "date-time", description: "Only while pending." }),
    response_status: z.number().int().optional().openapi({ description: "HTTP status of the last answer." }),
    last_error: z.string().openapi({ description: "Why the last attempt failed; empty when it did not." }),
  })
  .openapi("TablaoWebhookDelivery", { description: "One delivery of a webhook." });

export const TablaoWebhookDeliveries = z
  .object({ deliveries: z.array(TablaoWebhookDelivery).openapi({ description: "Newest first." }) })
  .openapi("TablaoWebhookDeliveries", { description: "The webhook delivery log." });
