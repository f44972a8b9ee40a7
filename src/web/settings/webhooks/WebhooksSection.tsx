// The Settings page's Webhooks section: the configured hooks with add, edit and remove (saved as
// the `webhooks` key of the configuration, like every other setting), a "Send test" button per
// hook, and the delivery log. Secrets come back as a placeholder, which a save keeps as the stored
// secret. See docs/webhooks.md.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import type { z } from "zod";
import type * as schemas from "../../../manager/api/schemas/webhooks";
import type { WebhookSetting } from "../../../manager/config/schema";
import type { WebhookEvent } from "../../../manager/webhooks/events";
import type { WebhookFormat } from "../../../manager/webhooks/formats";
import { ApiRequestError, request } from "../../api";
import { useApp } from "../../ui/context";
import { BusyButton, Form } from "../../ui/widgets";
import { settingsApi, type ConfigJson } from "../settings-api";

type Delivery = z.infer<typeof schemas.TablaoWebhookDelivery>;
type Deliveries = z.infer<typeof schemas.TablaoWebhookDeliveries>;

/** Every event and format with its label; typed by the Manager's lists, so none can be missed. */
const EVENT_LABELS: Record<WebhookEvent, string> = {
  "job.completed": "job completed",
  "job.failed": "job failed",
  "job.paused": "job paused",
  "worker.error": "worker error",
  "worker.offline": "worker offline",
  "farm.idle": "farm idle",
};
const FORMAT_LABELS: Record<WebhookFormat, string> = {
  json: "JSON (Tablao's document)",
  slack: "Slack incoming webhook",
  discord: "Discord webhook",
  matrix: "Matrix (hookshot generic webhook)",
};
const EVENTS = Object.keys(EVENT_LABELS) as WebhookEvent[];
const FORMATS = Object.keys(FORMAT_LABELS) as WebhookFormat[];

const DELIVERIES_URL = "/api/tablao/webhooks/deliveries";
const SHOWN_DELIVERIES = 50;

const webhooksApi = {
  deliveries: async () =>
    (await (await request("GET", `${DELIVERIES_URL}?limit=${SHOWN_DELIVERIES}`)).json()) as Deliveries,
  sendTest: async (name: string) =>
    (await (
      await request("POST", `/api/tablao/webhooks/${encodeURIComponent(name)}/test`)
    ).json()) as Delivery,
};

const hooksOf = (file: ConfigJson) => (file as { webhooks?: WebhookSetting[] }).webhooks ?? [];

const NEW_HOOK: WebhookSetting = {
  name: "",
  url: "https://",
  events: ["job.completed", "job.failed"],
  format: "json",
  secret: "",
  enabled: true,
};

function outcome(d: Delivery): string {
  if (d.status === "delivered") return `delivered (HTTP ${d.response_status})`;
  return d.last_error ? `${d.status}: ${d.last_error}` : d.status;
}

function HookForm({
  initial,
  problem,
  onSave,
  onCancel,
}: {
  initial: WebhookSetting;
  problem: string | null;
  onSave: (hook: WebhookSetting) => Promise<unknown>;
  onCancel: () => void;
}) {
  const [hook, setHook] = useState(initial);
  const set = (change: Partial<WebhookSetting>) => setHook({ ...hook, ...change });
  return (
    <Form class="webhook-form" aria-label="Webhook" canSubmit={true} onSubmit={() => void onSave(hook)}>
      <label>
        Name{" "}
        <input type="text" required value={hook.name} onInput={(e) => set({ name: e.currentTarget.value })} />
      </label>
      <label>
        URL{" "}
        <input type="url" required value={hook.url} onInput={(e) => set({ url: e.currentTarget.value })} />
      </label>
      <fieldset>
        <legend>Events</legend>
        {EVENTS.map((event) => (
          <label key={event}>
            <input
              type="checkbox"
              checked={hook.events.includes(event)}
              onChange={(e) =>
                set({
                  events: e.currentTarget.checked
                    ? EVENTS.filter((x) => x === event || hook.events.includes(x))
                    : hook.events.filter((x) => x !== event),
                })
              }
            />{" "}
            {EVENT_LABELS[event]}
          </label>
        ))}
      </fieldset>
      <label>
        Format{" "}
        <select value={hook.format} onChange={(e) => set({ format: e.currentTarget.value as WebhookFormat })}>
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Secret{" "}
        <input
          type="password"
          autocomplete="new-password"
          value={hook.secret}
          onInput={(e) => set({ secret: e.currentTarget.value })}
        />
      </label>
      <label>
        <input
          type="checkbox"
          checked={hook.enabled}
          onChange={(e) => set({ enabled: e.currentTarget.checked })}
        />{" "}
        Enabled
      </label>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="setup-buttons">
        <button type="submit" class="primary">
          Save webhook
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

/** `onSaved`: the configuration file changed, so other editors of it must reload. */
export function WebhooksSection({ onSaved }: { onSaved: () => void }) {
  const { attempt } = useApp().state;
  const [hooks, setHooks] = useState<WebhookSetting[]>([]);
  const [log, setLog] = useState<Delivery[]>([]);
  const [results, setResults] = useState<Record<string, string>>({});
  /** The hook being edited: its index, or -1 for a new one. */
  const [editing, setEditing] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = () =>
    attempt("load the webhooks", async () => {
      setHooks(hooksOf((await settingsApi.load()).file));
      setLog((await webhooksApi.deliveries()).deliveries);
    });
  useEffect(() => void load(), []);

  /** Saves the list made from the freshly loaded one, so no other setting is overwritten. */
  const saveHooks = (change: (current: WebhookSetting[]) => WebhookSetting[]) =>
    attempt("save the webhooks", async () => {
      const { file } = await settingsApi.load();
      try {
        await settingsApi.save({ ...file, webhooks: change(hooksOf(file)) }, false);
      } catch (err) {
        if (!(err instanceof ApiRequestError) || err.status !== 400) throw err;
        setProblem(err.message.replace(/^settings: /gm, ""));
        return;
      }
      setEditing(null);
      setProblem(null);
      onSaved();
      await load();
    });

  const sendTest = (name: string) =>
    attempt(`send a test to ${name}`, async () => {
      const delivery = await webhooksApi.sendTest(name);
      setResults((shown) => ({ ...shown, [name]: outcome(delivery) }));
      setLog((await webhooksApi.deliveries()).deliveries);
    });

  return (
    <section class="webhooks-section" aria-label="Webhooks">
      <h3>Webhooks</h3>
      <p class="hint">
        HTTP notifications when jobs complete, fail or pause, workers go offline or into error, or the farm
        runs idle. Saved changes apply at once.
      </p>
      {hooks.length === 0 ? (
        <p class="hint empty">No webhooks configured.</p>
      ) : (
        <table class="table webhooks-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>URL</th>
              <th>Events</th>
              <th>Format</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hooks.map((h, i) => (
              <tr key={h.name} data-hook={h.name}>
                <td>
                  {h.name} {!h.enabled && <span class="badge">disabled</span>}
                </td>
                <td class="mono">{h.url}</td>
                <td>{h.events.map((e) => EVENT_LABELS[e]).join(", ")}</td>
                <td>{h.format}</td>
                <td class="webhook-actions">
                  <BusyButton label="Send test" onClick={() => sendTest(h.name)} />
                  <button type="button" onClick={() => setEditing(i)}>
                    Edit
                  </button>
                  <BusyButton
                    label="Remove"
                    onClick={() => saveHooks((current) => current.filter((x) => x.name !== h.name))}
                  />
                  {results[h.name] && (
                    <span class="hint" role="status">
                      {results[h.name]}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing === null ? (
        <button type="button" onClick={() => setEditing(-1)}>
          Add webhook
        </button>
      ) : (
        <HookForm
          key={editing}
          initial={editing >= 0 ? hooks[editing]! : NEW_HOOK}
          problem={problem}
          onCancel={() => {
            setEditing(null);
            setProblem(null);
          }}
          onSave={(hook) => {
            const original = editing >= 0 ? hooks[editing]!.name : null;
            return saveHooks((current) =>
              original === null ? [...current, hook] : current.map((x) => (x.name === original ? hook : x)),
            );
          }}
        />
      )}
      <h4>
        Delivery log{" "}
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </h4>
      {log.length === 0 ? (
        <p class="hint empty">No deliveries yet.</p>
      ) : (
        <table class="table webhook-deliveries" aria-label="Webhook deliveries">
          <thead>
            <tr>
              <th>Created</th>
              <th>Hook</th>
              <th>Event</th>
              <th>What</th>
              <th>Attempts</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {log.map((d) => (
              <tr key={d.id} data-status={d.status}>
                <td class="mono">{new Date(d.created).toLocaleString()}</td>
                <td>{d.hook}</td>
                <td>{d.event}</td>
                <td>{d.text}</td>
                <td>{d.attempts}</td>
                <td>
                  {outcome(d)}
                  {d.next_attempt && ` — next try ${new Date(d.next_attempt).toLocaleTimeString()}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
