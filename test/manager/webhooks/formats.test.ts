// The bodies each preset sends, and the signature over them.
import { expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import {
  WEBHOOK_TEXT_MAX_CHARS,
  formatBody,
  type WebhookPayload,
} from "../../../src/manager/webhooks/formats";
import { deliveryHeaders } from "../../../src/manager/webhooks/signature";

const payload: WebhookPayload = {
  id: "d-1",
  event: "job.failed",
  occurred_at: "2026-01-05T10:00:00.000Z",
  manager: "Night <shift>",
  text: 'Job "shot & co" failed: no workers left',
};

test("json sends Tablao's document as it is", () => {
  expect(JSON.parse(formatBody("json", payload))).toEqual(payload);
});

test("slack, discord and matrix get their incoming-webhook bodies", () => {
  const line = '[Night <shift>] Job "shot & co" failed: no workers left';
  expect(JSON.parse(formatBody("slack", payload))).toEqual({ text: line });
  expect(JSON.parse(formatBody("discord", payload))).toEqual({ content: line, username: "Tablao" });
  expect(JSON.parse(formatBody("matrix", payload))).toEqual({
    text: line,
    html: "<b>Night &lt;shift&gt;</b>: Job &quot;shot &amp; co&quot; failed: no workers left",
    username: "Tablao",
  });
});

test("long texts are cut: Discord's 2,000-character limit, and the general one", () => {
  const long = { ...payload, text: "x".repeat(10_000) };
  expect((JSON.parse(formatBody("discord", long)) as { content: string }).content).toHaveLength(2_000);
  expect((JSON.parse(formatBody("json", long)) as { text: string }).text).toHaveLength(
    WEBHOOK_TEXT_MAX_CHARS,
  );
});

test("the signature is the hex HMAC-SHA256 of the exact body; without a secret there is none", () => {
  const body = formatBody("json", payload);
  const sentAt = new Date("2026-01-05T10:00:01.500Z");
  const headers = deliveryHeaders({ secret: "s", body, deliveryId: "d-1", event: "job.failed", sentAt });
  expect(headers).toMatchObject({
    "X-Tablao-Signature": `sha256=${createHmac("sha256", "s").update(body).digest("hex")}`,
    "X-Tablao-Timestamp": "1767607201",
    "X-Tablao-Delivery": "d-1",
    "X-Tablao-Event": "job.failed",
  });
  expect(
    deliveryHeaders({ secret: "", body, deliveryId: "d-1", event: "job.failed", sentAt }),
  ).not.toHaveProperty("X-Tablao-Signature");
});
