// The web dashboard in a real Chromium against a real Manager (SQLite file, Bun.serve, /ws):
// live job, task, log and worker updates, actions taken in the UI, reconnection, both layouts,
// screenshots, and a clean browser console.
//
// Every test stands alone: it gets its own Manager (a fresh database, ~50 ms), makes the jobs,
// workers and tags it needs through the API, and loads the app into a blank page. Only Chromium
// and its one tab are shared (see `tab`). Run any one with `-t "<name>"`, in any order.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page, WebSocketRoute } from "playwright-core";
import sharp from "sharp";
import {
  DESKTOP,
  STEP_TIMEOUT_MS,
  UI_TIMEOUT_MS,
  newPage,
  onPageErrors,
  shows,
  signOnWorker,
  submitEchoJob,
  useChromium,
} from "../support/browser";
import { startTestManager, type TestManager } from "../support/manager";
import { waitFor } from "../support/wait";

const ARTIFACTS_DIR = join(import.meta.dir, "..", "..", "test-artifacts");
/** A screenshot whose pixels vary less than this (standard deviation, 0-255) counts as blank. */
const MIN_SCREENSHOT_STDEV = 8;

const browser = useChromium();

type WsFrame = { event: string; payload: Record<string, unknown> };

/** What passed through a page's live connection, seen from the middle. */
interface WsTap {
  connections: number;
  clientFrames: { connection: number; frame: WsFrame }[];
  /** Swallow `/jobs` events, to prove the page refetches after reconnecting. */
  dropJobEvents: boolean;
  current: { page: WebSocketRoute; server: WebSocketRoute } | null;
}

/** One test's world: its own Manager, and the page, blank when the test began. */
interface Dashboard {
  manager: TestManager;
  page: Page;
  ws: WsTap;
  consoleErrors: string[];
}

/** Opened by the running test; the page is blanked, the Manager destroyed and the console checked after it. */
let current: Dashboard | null = null;
/**
 * The one tab. A new page costs a renderer process (0.2-0.5 s here), so tests share it; each test
 * loads the app afresh from its own Manager (a new origin: another port), which leaves nothing of
 * the previous test in the document, its storage or its live connection.
 */
let tab: Page | null = null;

async function openTab(): Promise<Page> {
  const page = await newPage(browser());
  onPageErrors(
    page,
    (e) => current?.consoleErrors.push(e),
    // Playwright's routed WebSocket stand-in reports this when the test drops the connection
    // under the page; the app itself only sends on an open socket (src/web/live.ts).
    (text) => text.includes("WebSocket is already in CLOSING or CLOSED state"),
  );
  await page.routeWebSocket(/\/ws$/, (pageSide) => {
    const server = pageSide.connectToServer();
    const ws = current?.ws;
    if (!ws) return;
    const connection = ++ws.connections;
    pageSide.onMessage((m) => {
      ws.clientFrames.push({ connection, frame: JSON.parse(String(m)) as WsFrame });
      server.send(m);
    });
    server.onMessage((m) => {
      if (ws.dropJobEvents && (JSON.parse(String(m)) as { event: string }).event === "/jobs") return;
      pageSide.send(m);
    });
    ws.current = { page: pageSide, server };
  });
  return page;
}

/**
 * Starts this test's Manager and readies the (blank) page for it; `visit` then loads the app.
 * Call once per test; `afterEach` cleans up.
 */
async function openDashboard(
  opts: { config?: Record<string, unknown>; viewport?: { width: number; height: number } } = {},
): Promise<Dashboard> {
  if (current) throw new Error("a dashboard is already open in this test");
  const manager = await startTestManager({ web: true, config: opts.config });
  if (!tab || tab.isClosed()) tab = await openTab();
  await tab.setViewportSize(opts.viewport ?? DESKTOP);
  const ws: WsTap = { connections: 0, clientFrames: [], dropJobEvents: false, current: null };
  current = { manager, page: tab, ws, consoleErrors: [] };
  return current;
}

/** Polls with the UI's deadline. */
const until = <T>(what: string, probe: () => Promise<T>) => waitFor(what, probe, UI_TIMEOUT_MS);

/** The subscriptions the app holds on every view. */
const FARM_WIDE = ["allJobs", "allWorkers", "allWorkerTags"];

/**
 * Loads an app path (e.g. `/app/jobs/<id>`) and waits until the page is live: connected, and its
 * farm-wide subscriptions passed on to the Manager, so a change the test makes next is announced.
 */
async function visit(d: Dashboard, path: string): Promise<void> {
  await d.page.goto(`${d.manager.url}${path}`);
  await d.page.locator('.connection[data-state="open"]').waitFor({ timeout: UI_TIMEOUT_MS });
  await until("the farm-wide subscriptions", async () => {
    const sent = d.ws.clientFrames
      .filter((f) => f.connection === d.ws.connections)
      .map((f) => f.frame.payload.type);
    return FARM_WIDE.every((t) => sent.includes(t));
  });
}

/** Waits until the page's subscription to a job's updates (its tasks, its log) reached the Manager. */
async function subscribedToJob(d: Dashboard, jobId: string): Promise<void> {
  await until(`the subscription to job ${jobId}`, async () =>
    d.ws.clientFrames.some(
      ({ connection, frame: { payload } }) =>
        connection === d.ws.connections &&
        payload.op === "subscribe" &&
        payload.type === "job" &&
        payload.uuid === jobId,
    ),
  );
}

async function api(d: Dashboard, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${d.manager.url}/api/v3${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function createTag(d: Dashboard, name: string, description: string): Promise<void> {
  expect((await api(d, "POST", "/worker-mgt/tags", { name, description })).status).toBe(200);
}

/** A solid-colour JPEG, as a worker would upload for "last rendered". */
async function jpegFrame(): Promise<Blob> {
  const frame = await sharp({
    create: { width: 320, height: 180, channels: 3, background: { r: 220, g: 120, b: 40 } },
  })
    .jpeg()
    .toBuffer();
  return new Blob([new Uint8Array(frame)]);
}

async function imageLoaded(img: Locator): Promise<void> {
  await img.waitFor({ timeout: UI_TIMEOUT_MS });
  await until("the image to load", () =>
    img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0),
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  const png = await page.screenshot({ path, fullPage: false });
  const { channels } = await sharp(png).stats();
  const stdev = Math.max(...channels.slice(0, 3).map((c) => c.stdev));
  expect(stdev).toBeGreaterThan(MIN_SCREENSHOT_STDEV);
}

async function noHorizontalOverflow(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

const jobRow = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"]`);
const taskRows = (page: Page) => page.locator("section.tasks tbody tr");
const nav = (page: Page, label: string) => page.locator("nav.nav a", { hasText: label }).click();

async function openHistory(page: Page): Promise<Locator> {
  const toggle = page.locator("footer button", { hasText: /^History/ });
  if ((await toggle.count()) > 0) await toggle.click();
  return page.locator(".notification-history li");
}

beforeAll(() => mkdirSync(ARTIFACTS_DIR, { recursive: true }));

afterEach(async () => {
  const d = current;
  if (!d) return;
  try {
    // Leave the app (closing its live connection) before its Manager goes away.
    if (!d.page.isClosed()) await d.page.goto("about:blank");
  } finally {
    current = null;
    await d.manager.destroy();
  }
  // Every test also proves the browser console stayed free of errors.
  expect(d.consoleErrors).toEqual([]);
}, STEP_TIMEOUT_MS);

describe("web dashboard: the app", () => {
  test(
    "the root URL leads to the app, which goes live",
    async () => {
      const d = await openDashboard();
      // Live: visit waits for the open connection and the farm-wide subscriptions.
      await visit(d, "/");
      expect(new URL(d.page.url()).pathname).toBe("/app/");
      await d.page.locator(".farm-status").waitFor({ timeout: UI_TIMEOUT_MS });
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "after a dropped connection the page reconnects, resubscribes and refetches",
    async () => {
      const d = await openDashboard();
      const jobId = await submitEchoJob(d.manager.url, "browser-reconnect");
      await visit(d, `/app/jobs/${jobId}`);
      const { page, ws } = d;
      await subscribedToJob(d, jobId);
      const before = ws.connections;

      // The event announcing this job never reaches the page; only a refetch can show it.
      ws.dropJobEvents = true;
      const missedId = await submitEchoJob(d.manager.url, "browser-reconnect-missed");
      await ws.current!.page.close({ code: 4000, reason: "dropped by the test" });
      await ws.current!.server.close();

      await until("a new connection", async () => ws.connections > before);
      await page.locator('.connection[data-state="open"]').waitFor({ timeout: UI_TIMEOUT_MS });
      await shows(jobRow(page, missedId), "browser-reconnect-missed");
      const resent = await until("the subscriptions to be sent again", async () => {
        const types = ws.clientFrames.filter((f) => f.connection > before).map((f) => f.frame.payload);
        const has = (type: string, uuid?: string) =>
          types.some((p) => p.type === type && (!uuid || p.uuid === uuid));
        return FARM_WIDE.every((t) => has(t)) && has("job", jobId) && types;
      });
      expect(resent.every((p) => p.op === "subscribe")).toBe(true);
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "the layout holds at 768 px wide",
    async () => {
      const d = await openDashboard({ viewport: { width: 768, height: 1024 } });
      const jobId = await submitEchoJob(d.manager.url, "browser-narrow");
      const worker = await signOnWorker(d.manager.url, "browser-narrow-worker");
      await visit(d, "/app/jobs");
      const { page } = d;
      await jobRow(page, jobId).locator("a").click();
      await shows(page.locator("section.job-details h2"), "browser-narrow");
      await page.locator("nav.nav").waitFor({ state: "visible", timeout: UI_TIMEOUT_MS });
      await noHorizontalOverflow(page);
      await screenshot(page, "jobs-view-768");
      await nav(page, "Workers");
      await shows(page.locator(`tr[data-worker-id="${worker.id}"]`), worker.name);
      await noHorizontalOverflow(page);
    },
    STEP_TIMEOUT_MS,
  );
});

describe("web dashboard: jobs", () => {
  test(
    "a job submitted through the API appears in the jobs table without a reload",
    async () => {
      const d = await openDashboard();
      await visit(d, "/app/jobs");
      const jobId = await submitEchoJob(d.manager.url, "browser-submitted");
      await shows(jobRow(d.page, jobId), "browser-submitted");
      await shows(jobRow(d.page, jobId).locator(".status"), "queued");
      await noHorizontalOverflow(d.page);
      await screenshot(d.page, "jobs-view");
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "job details, tasks, task status and log lines follow a worker live",
    async () => {
      const d = await openDashboard();
      const { page } = d;
      const jobId = await submitEchoJob(d.manager.url, "browser-live");
      const worker = await signOnWorker(d.manager.url, "browser-live-worker");
      await visit(d, "/app/jobs");

      await jobRow(page, jobId).locator("a").click();
      const details = page.locator("section.job-details");
      await shows(details.locator("h2"), "browser-live");
      await shows(details.locator("dd"), "echo-sleep-test");
      await shows(details.locator(".key-values dd"), "hi");
      await until("three tasks", async () => (await taskRows(page).count()) === 3);
      await subscribedToJob(d, jobId);

      const task = await worker.nextTask();
      const row = page.locator(`tr[data-task-id="${task.uuid}"]`);
      await shows(row.locator(".status"), "active");
      await shows(row, worker.name);
      await shows(jobRow(page, jobId).locator(".status"), "active");

      await row.locator("a", { hasText: task.name }).click();
      const taskDetails = page.locator("section.task-details");
      await shows(taskDetails.locator("h3"), task.name);
      await worker.update(task.uuid, { log: "echo: hi from the browser test" });
      await shows(taskDetails.locator("pre.log"), "echo: hi from the browser test");
      await worker.update(task.uuid, { log: "second line\nthird line" });
      await shows(taskDetails.locator("pre.log"), /third line/);
      await taskDetails.locator('a[href*="/"]', { hasText: "full log" }).waitFor({ timeout: UI_TIMEOUT_MS });

      await worker.update(task.uuid, { taskStatus: "completed", activity: "Echoed hi" });
      await shows(row.locator(".status"), "completed");
      await shows(row, "Echoed hi");
      await shows(taskDetails.locator(".status"), "completed");

      await worker.outputProduced(task.uuid, await jpegFrame());
      await imageLoaded(details.locator("figure.last-rendered img"));
      await noHorizontalOverflow(page);
      await screenshot(page, "job-details");
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "priority is edited from the job details",
    async () => {
      const d = await openDashboard();
      const jobId = await submitEchoJob(d.manager.url, "browser-priority");
      await visit(d, `/app/jobs/${jobId}`);
      const details = d.page.locator("section.job-details");
      await shows(details.locator("h2"), "browser-priority");
      await details.locator('input[aria-label="Priority"]').fill("70");
      await details.locator("button", { hasText: "Set priority" }).click();
      await shows(jobRow(d.page, jobId).locator("td:nth-child(5)"), /^70$/);
      const job = (await (await api(d, "GET", `/jobs/${jobId}`)).json()) as { priority: number };
      expect(job.priority).toBe(70);
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "cancelling the selected job from the table cascades to its tasks",
    async () => {
      const d = await openDashboard();
      const { page } = d;
      const jobId = await submitEchoJob(d.manager.url, "browser-cancel");
      // One task finishes first: cancelling must leave it completed.
      const worker = await signOnWorker(d.manager.url, "browser-cancel-worker");
      const task = await worker.nextTask();
      await worker.update(task.uuid, { taskStatus: "completed" });
      await visit(d, `/app/jobs/${jobId}`);
      await until("three tasks", async () => (await taskRows(page).count()) === 3);
      await subscribedToJob(d, jobId);

      await jobRow(page, jobId).locator('input[type="checkbox"]').check();
      await page.locator(".jobs-table .toolbar button", { hasText: "Cancel (1)" }).click();
      await shows(jobRow(page, jobId).locator(".status"), "canceled");
      await until("the remaining tasks to be canceled", async () => {
        const statuses = await taskRows(page).locator(".status").allTextContents();
        return statuses.filter((s) => s === "canceled").length === 2 && statuses.includes("completed");
      });
      await shows(await openHistory(page), "Job browser-cancel changed status");
      await shows(page.locator(".notification-history li"), "➜ canceled");
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "the farm-wide last-rendered view shows the latest frame",
    async () => {
      const d = await openDashboard();
      await submitEchoJob(d.manager.url, "browser-last-rendered");
      const worker = await signOnWorker(d.manager.url, "browser-last-rendered-worker");
      const task = await worker.nextTask();
      await worker.update(task.uuid, { taskStatus: "completed" });
      await worker.outputProduced(task.uuid, await jpegFrame());
      await visit(d, "/app/jobs");
      await nav(d.page, "Last Rendered");
      await shows(d.page.locator(".last-rendered-view a"), "browser-last-rendered");
      await imageLoaded(d.page.locator(".last-rendered-view figure img"));
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "a blocklist entry is shown and removed, and a failed job is deleted",
    async () => {
      // One failure blocks a worker from a job, so the blocklist can be exercised with one worker.
      const d = await openDashboard({ config: { blocklist_threshold: 1 } });
      const { page } = d;
      const jobId = await submitEchoJob(d.manager.url, "browser-blocklist");
      const worker = await signOnWorker(d.manager.url, "browser-blocklist-worker");
      const task = await worker.nextTask();
      await worker.update(task.uuid, { taskStatus: "failed", log: "it broke" });

      await visit(d, "/app/jobs");
      const row = jobRow(page, jobId);
      await shows(row.locator(".status"), "failed");
      await row.locator("a").click();
      const blocklist = page.locator("section.job-details details.blocklist");
      await shows(blocklist.locator("summary"), "Blocklist (1)");
      await shows(blocklist.locator("td"), worker.name);
      await blocklist.locator("button", { hasText: "Remove" }).click();
      await shows(blocklist.locator("summary"), "Blocklist (0)");
      expect(await (await api(d, "GET", `/jobs/${jobId}/blocklist`)).json()).toEqual([]);

      await row.locator('input[type="checkbox"]').check();
      const del = page.locator(".jobs-table .toolbar button.danger");
      await del.click();
      await shows(del, "Really delete 1?");
      await del.click();
      await row.waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
      expect(new URL(page.url()).pathname).toBe("/app/jobs");
      await shows(await openHistory(page), "Job browser-blocklist was deleted");
    },
    STEP_TIMEOUT_MS,
  );
});

describe("web dashboard: workers and tags", () => {
  test(
    "a tag is created and renamed in the tags view",
    async () => {
      const d = await openDashboard();
      const { page } = d;
      await visit(d, "/app/jobs");
      await nav(page, "Tags");
      await page.locator('input[aria-label="New tag name"]').fill("render-gpu");
      await page.locator('input[aria-label="New tag description"]').fill("machines with a GPU");
      await page.locator("form.new-tag button", { hasText: "Create tag" }).click();
      const nameInput = page.locator('input[aria-label="Name of tag render-gpu"]');
      await nameInput.waitFor({ timeout: UI_TIMEOUT_MS });

      await nameInput.fill("render-gpu-fast");
      await page.locator("tr", { has: nameInput }).locator("button", { hasText: "Save" }).click();
      const renamed = page.locator('input[aria-label="Name of tag render-gpu-fast"]');
      await renamed.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await renamed.inputValue()).toBe("render-gpu-fast");
      const { tags } = (await (await api(d, "GET", "/worker-mgt/tags")).json()) as {
        tags: { name: string; description?: string }[];
      };
      expect(tags).toMatchObject([{ name: "render-gpu-fast", description: "machines with a GPU" }]);
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "a worker status request shows as pending, then as a notification once the worker obeys",
    async () => {
      const d = await openDashboard();
      const { page } = d;
      const worker = await signOnWorker(d.manager.url, "browser-status-worker");
      await visit(d, "/app/jobs");
      await nav(page, "Workers");
      const row = page.locator(`tr[data-worker-id="${worker.id}"]`);
      await shows(row, worker.name);
      await shows(row.locator(".status"), "awake");
      await row.locator("a").click();
      const details = page.locator("section.worker-details");
      await shows(details.locator("dd"), "linux");
      await shows(details.locator("dd"), "misc");
      await shows(details.locator("dd"), "3.9-browser-test");
      await noHorizontalOverflow(page);
      await screenshot(page, "workers-view");

      await details.locator(".status-request button", { hasText: /^asleep$/ }).click();
      await shows(row.locator(".requested"), "asleep");
      const state = await worker.call("GET", "/state");
      expect(state.status).toBe(200);
      expect(await state.json()).toEqual({ status_requested: "asleep" });
      await worker.changedState("asleep");

      await shows(row.locator(".status"), "asleep");
      await shows(await openHistory(page), `Worker ${worker.name} changed status awake ➜ asleep`);
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "a worker's tags and sleep schedule are edited in its details",
    async () => {
      const d = await openDashboard();
      const worker = await signOnWorker(d.manager.url, "browser-tagged-worker");
      await createTag(d, "render-gpu-fast", "machines with a GPU");
      await visit(d, `/app/workers/${worker.id}`);
      const details = d.page.locator("section.worker-details");
      await details.locator(".tag-picker label", { hasText: "render-gpu-fast" }).locator("input").check();
      await details.locator(".tag-picker button", { hasText: "Save tags" }).click();
      await shows(details.locator("dd"), "render-gpu-fast");
      const fetched = (await (await api(d, "GET", `/worker-mgt/workers/${worker.id}`)).json()) as {
        tags?: { name: string }[];
      };
      expect(fetched.tags?.map((t) => t.name)).toEqual(["render-gpu-fast"]);

      const form = details.locator("form.sleep-schedule");
      await form.locator('input[type="checkbox"]').check();
      await form.locator("input.days").fill("mo tu");
      await form.locator("input.time-of-day").first().fill("22:00");
      await form.locator("input.time-of-day").last().fill("06:00");
      await form.locator("button", { hasText: "Save schedule" }).click();
      await shows(form, "saved");
      const schedule = (await (
        await api(d, "GET", `/worker-mgt/workers/${worker.id}/sleep-schedule`)
      ).json()) as unknown;
      expect(schedule).toEqual({
        is_active: true,
        days_of_week: "mo tu",
        start_time: "22:00",
        end_time: "06:00",
      });
    },
    STEP_TIMEOUT_MS,
  );
});
