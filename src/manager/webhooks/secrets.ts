// Hook secrets are never shown back: reading the configuration shows a placeholder for each set
// secret, and a save that sends the placeholder back keeps the hook's stored secret (matched by
// the hook's name), as the MQTT password is handled.
import type { ConfigFile, WebhookSetting } from "../config/schema";

function hidden(hooks: readonly WebhookSetting[], placeholder: string): WebhookSetting[] {
  return hooks.map((h) => (h.secret === "" ? h : { ...h, secret: placeholder }));
}

export function hideWebhookSecrets(file: ConfigFile, placeholder: string): ConfigFile {
  return file.webhooks ? { ...file, webhooks: hidden(file.webhooks, placeholder) } : file;
}

export function keepWebhookSecrets(file: ConfigFile, current: ConfigFile, placeholder: string): ConfigFile {
  if (!file.webhooks) return file;
  const stored = new Map((current.webhooks ?? []).map((h) => [h.name, h.secret]));
  return {
    ...file,
    webhooks: file.webhooks.map((h) =>
      h.secret === placeholder ? { ...h, secret: stored.get(h.name) ?? "" } : h,
    ),
  };
}

/** A `webhooks` value as a change listing may show it. */
export function hideSecretsInValue(value: unknown, placeholder: string): unknown {
  return Array.isArray(value) ? hidden(value as WebhookSetting[], placeholder) : value;
}
