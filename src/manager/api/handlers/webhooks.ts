// Handlers of the webhook API: the delivery log and the "send test" button (src/manager/webhooks).
import type { WebhookService } from "../../webhooks/service";
import { errorBody } from "../http";
import type { Handlers } from "./registry";

export function webhookHandlers(webhooks: WebhookService): Handlers {
  return {
    fetchTablaoWebhookDeliveries: (c) => {
      const { hook, limit } = c.req.valid("query");
      return c.json({ deliveries: webhooks.deliveries({ hookName: hook, limit }) }, 200);
    },

    sendTablaoWebhookTest: async (c) => {
      const { name } = c.req.valid("param");
      const delivery = await webhooks.sendTest(name);
      if (!delivery) return c.json(errorBody(404, `no webhook is named ${JSON.stringify(name)}`), 404);
      return c.json(delivery, 200);
    },
  };
}
