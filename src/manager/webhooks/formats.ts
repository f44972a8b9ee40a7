// The bodies a delivery sends: Tablao's own JSON document, or the incoming-webhook body of a
// chat service (Slack `{text}`, Discord `{content}`, Matrix via matrix-hookshot's generic
// webhooks `{text, html}`), so a hook can point straight at the service's URL.
import type { DeliveryEvent, JobSubject, WorkerSubject } from "./events";

export const WEBHOOK_FORMATS = ["json", "slack", "discord", "matrix"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Discord refuses a `content` longer than this. */
const DISCORD_CONTENT_MAX_CHARS = 2_000;
/** Longer texts (a job's failure reason can be long) are cut, so a body stays small. */
export const WEBHOOK_TEXT_MAX_CHARS = 4_000;
const USERNAME = "Tablao";

/** What is stored with a delivery and formatted at each attempt. */
export interface WebhookPayload {
  /** The delivery's id, also sent as the X-Tablao-Delivery header. */
  id: string;
  event: DeliveryEvent;
  occurred_at: string;
  manager: string;
  /** One line saying what happened, as the chat presets show it. */
  text: string;
  job?: JobSubject & { activity: string };
  worker?: WorkerSubject;
  farm?: { status: string; previous_status: string };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The line a chat shows: the Manager's name, then what happened. */
function chatLine(p: WebhookPayload): string {
  return cut(`[${p.manager}] ${p.text}`, WEBHOOK_TEXT_MAX_CHARS);
}

/** The request body for a hook of `format`, as sent (and signed). */
export function formatBody(format: WebhookFormat, p: WebhookPayload): string {
  switch (format) {
    case "json":
      return JSON.stringify({ ...p, text: cut(p.text, WEBHOOK_TEXT_MAX_CHARS) });
    case "slack":
      return JSON.stringify({ text: chatLine(p) });
    case "discord":
      return JSON.stringify({ content: cut(chatLine(p), DISCORD_CONTENT_MAX_CHARS), username: USERNAME });
    case "matrix":
      return JSON.stringify({
        text: chatLine(p),
        html: `<b>${escapeHtml(p.manager)}</b>: ${escapeHtml(cut(p.text, WEBHOOK_TEXT_MAX_CHARS))}`,
        username: USERNAME,
      });
  }
}
