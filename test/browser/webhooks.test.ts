// Webhooks on the Settings page in a real Chromium against a real Manager and a real local
// receiver: a hook added, tested, edited and removed through the form, with the delivery log;
// and the dashboard's opt-in browser notification of a finished job while the tab is hidden.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  STEP_TIMEOUT_MS,
  closeBrowserWorld,
  openBrowserWorld,
  shows,
  signOnWorker,
  submitEchoJob,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { waitFor } from "../support/wait";
import { signatureValid, startReceiver, type Receiver } from "../manager/webhooks/receiver";

const browser = useChromium();
let world: BrowserWorld | null = null;
let receiver: Receiver | null = null;

afterEach(async () => {
  const w = world;
  world = null;
  await receiver?.stop();
  receiver = null;
  if (!w) return;
  await closeBrowserWorld(w);
  expect(w.consoleErrors).toEqual([]);
});

test(
  "a webhook added on the Settings page gets a signed test delivery, can be edited and removed",
  async () => {
    const r = (receiver = startReceiver());
    const w = (world = await openBrowserWorld(browser()));
    const configPath = join(w.manager.dir, "flamenco-manager.yaml");
    const page = w.page;
    await page.goto(`${w.manager.url}/app/settings`);
    const section = page.locator(".webhooks-section");
    await shows(section, "No webhooks configured.");

    await section.getByRole("button", { name: "Add webhook" }).click();
    const form = section.locator(".webhook-form");
    await form.getByLabel("Name").fill("wranglers");
    await form.getByLabel("URL").fill(r.url);
    await form.getByLabel("Format").selectOption("slack");
    await form.getByLabel("Secret").fill("page-secret");
    await form.getByRole("button", { name: "Save webhook" }).click();
    const row = section.locator('tr[data-hook="wranglers"]');
    await shows(row, "job completed, job failed");
    expect(readFileSync(configPath, "utf8")).toContain("name: wranglers");

    await row.getByRole("button", { name: "Send test" }).click();
    await shows(row, "delivered (HTTP 204)");
    expect(r.received.map((x) => x.json)).toEqual([
      { text: '[Flamenco] Test notification for webhook "wranglers"' },
    ]);
    expect(signatureValid(r.received[0]!, "page-secret")).toBe(true);
    await shows(section.locator('.webhook-deliveries tr[data-status="delivered"]'), "test");

    // The secret comes back hidden; saving the edit keeps it.
    await row.getByRole("button", { name: "Edit" }).click();
    expect(await form.getByLabel("Secret").inputValue()).not.toContain("page-secret");
    await form.getByLabel("Format").selectOption("discord");
    await form.getByRole("button", { name: "Save webhook" }).click();
    await shows(row.locator("td", { hasText: "discord" }), "discord");
    await row.getByRole("button", { name: "Send test" }).click();
    await waitFor("the second test delivery", () => r.received.length === 2);
    expect(r.received[1]!.json).toMatchObject({ username: "Tablao" });
    expect(signatureValid(r.received[1]!, "page-secret")).toBe(true);

    await row.getByRole("button", { name: "Remove" }).click();
    await shows(section, "No webhooks configured.");
    expect(w.manager.manager.config().raw.webhooks).toEqual([]);
  },
  STEP_TIMEOUT_MS,
);

test(
  "with desktop notifications on, a job that completes while the tab is hidden shows a notification",
  async () => {
    const w = (world = await openBrowserWorld(browser()));
    // The browser's side, recorded: the permission prompt answers yes and the tab is in the background.
    await w.context.addInitScript(() => {
      const shown: { title: string; body?: string }[] = [];
      (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
      class RecordedNotification {
        static permission = "default";
        static requestPermission() {
          RecordedNotification.permission = "granted";
          return Promise.resolve("granted");
        }
        constructor(title: string, opts: { body?: string }) {
          shown.push({ title, body: opts.body });
        }
      }
      Object.defineProperty(window, "Notification", { value: RecordedNotification });
      Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
    });
    await w.page.goto(`${w.manager.url}/app/jobs`);
    const toggle = w.page.getByRole("button", { name: "Desktop notifications: off" });
    await toggle.click();
    await w.page.getByRole("button", { name: "Desktop notifications: on" }).waitFor();

    await submitEchoJob(w.manager.url, "night render", { sleepRepeats: 0 });
    const worker = await signOnWorker(w.manager.url, "w1");
    const task = (await (await worker.call("POST", "/task")).json()) as { uuid: string };
    await worker.call("POST", `/task/${task.uuid}`, { taskStatus: "completed" });
    const shown = () =>
      w.page.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications);
    await waitFor("the notification", async () => (await shown()).length > 0);
    expect(await shown()).toEqual([
      { title: "Job completed: night render", body: 'Flamenco: job "night render" completed.' },
    ]);
  },
  STEP_TIMEOUT_MS,
);
