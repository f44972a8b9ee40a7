// The admin's Settings page in a real Chromium against a real Manager (SQLite file, Bun.serve,
// its configuration file in a temp folder): a task_timeout changed on the page is used by the
// running timeout checker without a restart; a key that needs a restart is marked so after
// saving; the Manager's validation errors show at the field they name.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
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
import { managerApi } from "../support/processes";
import { waitFor } from "../support/wait";

/**
 * The changed timeout's grace period (five of it after start-up) plus a check interval, with room
 * for a busy machine.
 */
const TIMED_OUT_DEADLINE_MS = 30_000;

const browser = useChromium();
let world: BrowserWorld | null = null;
/** Console errors the running test causes on purpose (Chromium logs every refused request). */
let expectedErrors: RegExp[] = [];

afterEach(async () => {
  const w = world;
  const expected = expectedErrors;
  world = null;
  expectedErrors = [];
  if (!w) return;
  await closeBrowserWorld(w);
  expect(w.consoleErrors.filter((e) => !expected.some((re) => re.test(e)))).toEqual([]);
});

/** A worker signed on through the worker API takes one task; returns the task's ID. */
async function workerTakesTask(url: string): Promise<string> {
  return (await (await signOnWorker(url, "quiet")).nextTask()).uuid;
}

const row = (page: Page, path: string) => page.locator(`.setting[data-path="${path}"]`);

async function openSettings(w: BrowserWorld): Promise<void> {
  await w.page.goto(`${w.manager.url}/app/settings`);
  await w.page.getByLabel("task_timeout", { exact: true }).waitFor();
}

test(
  "task_timeout changed on the page: the running timeout checker fails an untouched task without a restart",
  async () => {
    const w = (world = await openBrowserWorld(browser()));
    await submitEchoJob(w.manager.url, "long render");
    const taskId = await workerTakesTask(w.manager.url);
    const api = managerApi(w.manager.url);
    const taskStatus = async () => ((await api.get(`/api/v3/tasks/${taskId}`)) as { status: string }).status;
    expect(await taskStatus()).toBe("active");

    await openSettings(w);
    await expect(w.page.locator("nav.nav a", { hasText: "Settings" }).count()).resolves.toBe(1);
    await w.page.getByLabel("task_timeout", { exact: true }).fill("2s");
    await w.page.getByRole("button", { name: "Review changes" }).click();

    const change = w.page.locator('.settings-review tr[data-path="task_timeout"]');
    await shows(change.locator(".diff-old"), "10m0s");
    await shows(change.locator(".diff-new"), "2s");
    await shows(change, "at once");
    expect(await w.page.locator(".settings-review tbody tr").count()).toBe(1);
    await w.page.getByRole("button", { name: "Save", exact: true }).click();
    await shows(w.page.locator(".settings-notice"), "Saved 1 change(s); 1 in effect now.");

    expect(w.manager.manager.config().taskTimeoutMs).toBe(2000);
    expect(readFileSync(join(w.manager.dir, "flamenco-manager.yaml"), "utf8")).toContain("task_timeout: 2s");
    await waitFor(
      "the timeout checker to fail the untouched task",
      async () => (await taskStatus()) === "failed",
      TIMED_OUT_DEADLINE_MS,
    );
    const task = (await api.get(`/api/v3/tasks/${taskId}`)) as { activity: string };
    expect(task.activity).toStartWith("Task timed out on worker quiet");
  },
  STEP_TIMEOUT_MS,
);

test(
  "a key that needs a restart is marked after saving; validation errors show at their field and save nothing",
  async () => {
    const w = (world = await openBrowserWorld(browser()));
    expectedErrors = [/status of 400 .*\/api\/tablao\/settings\?dry_run=true/];
    const configPath = join(w.manager.dir, "flamenco-manager.yaml");
    await openSettings(w);
    await shows(row(w.page, "listen"), "applies after restart");

    await w.page.getByLabel("worker_timeout", { exact: true }).fill("soon");
    await w.page.getByLabel("manager_name", { exact: true }).fill("Night shift");
    const before = readFileSync(configPath, "utf8");
    await w.page.getByRole("button", { name: "Review changes" }).click();
    await shows(row(w.page, "worker_timeout").locator(".setting-error"), /worker_timeout: .*soon/);
    expect(await w.page.locator(".settings-review").count()).toBe(0);
    expect(readFileSync(configPath, "utf8")).toBe(before);

    await w.page.getByLabel("worker_timeout", { exact: true }).fill("1m0s");
    await w.page.getByLabel("listen", { exact: true }).fill("127.0.0.1:1");
    await w.page.getByRole("button", { name: "Review changes" }).click();
    await shows(w.page.locator('.settings-review tr[data-path="listen"]'), "after a restart");
    await w.page.getByRole("button", { name: "Save", exact: true }).click();
    await shows(w.page.locator(".settings-notice"), "listen after a restart");
    await shows(row(w.page, "listen").locator(".badge-pending"), "needs restart");
    expect(await row(w.page, "manager_name").locator(".badge-pending").count()).toBe(0);
    // Still served where it started, under its new name.
    expect(((await managerApi(w.manager.url).get("/api/v3/version")) as { name: string }).name).toBe(
      "Night shift",
    );
  },
  STEP_TIMEOUT_MS,
);
