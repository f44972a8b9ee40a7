// How a delivery proves where it comes from: an HMAC-SHA256 of the exact body bytes with the
// hook's secret, hex-encoded, in X-Tablao-Signature (docs/webhooks.md shows how to check it).
import { createHmac } from "node:crypto";

export const SIGNATURE_HEADER = "X-Tablao-Signature";
export const TIMESTAMP_HEADER = "X-Tablao-Timestamp";
export const DELIVERY_HEADER = "X-Tablao-Delivery";
export const EVENT_HEADER = "X-Tablao-Event";

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** The headers of one attempt; without a secret there is no signature to send. */
export function deliveryHeaders(opts: {
  secret: string;
  body: string;
  deliveryId: string;
  event: string;
  sentAt: Date;
}): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "User-Agent": "Tablao-Webhooks",
    [DELIVERY_HEADER]: opts.deliveryId,
    [EVENT_HEADER]: opts.event,
    [TIMESTAMP_HEADER]: String(Math.floor(opts.sentAt.getTime() / 1000)),
    ...(opts.secret ? { [SIGNATURE_HEADER]: signBody(opts.secret, opts.body) } : {}),
  };
}
