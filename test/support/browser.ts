// What the browser tests (test/browser) share: one headless Chromium per test file, a test's world
// (its own Manager with the dashboard, and a fresh browser context with one page), the errors a
// page reports, waiting for text to show, and the job they submit to have something to look at.
import { afterAll, beforeAll, expect } from "bun:test";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { startTestManager, type TestManager, type TestManagerOptions } from "./manager";
import { tempDirs } from "./temp-dirs";
import type { Schemas } from "../../src/worker/client";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** How long the UI gets to reflect a change. */
export const UI_TIMEOUT_MS = 10_000;
/** Loading the app (its bundle, and the first fetches) on a busy machine. */
const NAVIGATION_TIMEOUT_MS = 30_000;
/** A test's own deadline, and that of launching Chromium and of cleaning up after a test. */
export const STEP_TIMEOUT_MS = 60_000;
export const DESKTOP = { width: 1280, height: 800 };

/**
 * Launches Chromium before the test file's tests and closes it after them; call at the top level
 * of the file. The returned function gives the browser (from the first test on).
 */
export function useChromium(opts: { netns?: () => string } = {}): () => Browser {
  let browser: Browser | undefined;
  const wrapperDir = opts.netns ? tempDirs("tablao-chromium") : null;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH))
      throw new Error(`no Chromium at ${CHROMIUM_PATH}; install the Debian package 'chromium'`);
    let executablePath = CHROMIUM_PATH;
    if (opts.netns && wrapperDir) {
      // Playwright talks to Chromium over its own pipes, which `ip netns exec` passes through.
      executablePath = join(wrapperDir(), "chromium");
      writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${opts.netns()} ${CHROMIUM_PATH} "$@"\n`);
      chmodSync(executablePath, 0o755);
    }
    browser = await chromium.launch({
      executablePath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  }, STEP_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("Chromium is not running yet: use it inside a test");
    return browser;
  };
}

/**
 * A page in a fresh browser context. Clicks and fills get the UI's deadline (a missing element
 * fails in `uiTimeoutMs`, not Playwright's 30 s), navigations NAVIGATION_TIMEOUT_MS.
 */
export async function newPage(
  browser: Browser,
  opts: { viewport?: { width: number; height: number }; uiTimeoutMs?: number } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP });
  context.setDefaultTimeout(opts.uiTimeoutMs ?? UI_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  return context.newPage();
}

/**
 * Hands `report` every console error of the page (but those whose text `ignore` matches) and
 * every uncaught exception, each as one line.
 */
export function onPageErrors(
  page: Page,
  report: (error: string) => void,
  ignore: (text: string) => boolean = () => false,
): void {
  page.on("console", (m) => {
    if (m.type() === "error" && !ignore(m.text())) report(`${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => report(`uncaught: ${e.message}`));
}

/** One test's world: its own Manager, a fresh browser context with one page, and what the page reported. */
export interface BrowserWorld {
  manager: TestManager;
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
}

/** Starts a Manager that serves the dashboard (`config`: flamenco-manager.yaml keys) and opens a page for it. */
export async function openBrowserWorld(
  browser: Browser,
  opts: Pick<TestManagerOptions, "config" | "firstRun" | "env"> & { uiTimeoutMs?: number } = {},
): Promise<BrowserWorld> {
  const { uiTimeoutMs, ...managerOpts } = opts;
  const manager = await startTestManager({ web: true, ...managerOpts });
  const page = await newPage(browser, { uiTimeoutMs });
  const world: BrowserWorld = { manager, context: page.context(), page, consoleErrors: [] };
  onPageErrors(page, (e) => world.consoleErrors.push(e));
  return world;
}

/** Closes the world's browser context (no cookie of it reaches the next test), then destroys its Manager. */
export async function closeBrowserWorld(world: BrowserWorld): Promise<void> {
  try {
    await world.context.close();
  } finally {
    await world.manager.destroy();
  }
}

/** Waits until the locator (first match) shows the text. */
export async function shows(
  locator: Locator,
  text: string | RegExp,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ state: "visible", timeout: timeoutMs });
}

/**
 * Submits an echo-sleep-test job (one echo task, then `sleepRepeats` sleep tasks, all `misc`),
 * with a bearer token when given; returns its ID.
 */
export async function submitEchoJob(
  managerUrl: string,
  name: string,
  opts: { token?: string; sleepRepeats?: number } = {},
): Promise<string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${managerUrl}/api/v3/jobs`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      name,
      type: "echo-sleep-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { message: "hi", sleep_duration_seconds: 1, sleep_repeats: opts.sleepRepeats ?? 2 },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

/** A worker that registered and signed on through the worker API, driven by the test. */
export interface SignedOnWorker {
  id: string;
  name: string;
  /** A worker API call (`path` under /api/v3/worker) with this worker's credentials. */
  call(method: string, path: string, body?: unknown): Promise<Response>;
  /** Reports a status change (`state-changed`), as the worker does when it carries out a request. */
  changedState(status: string): Promise<void>;
  /** Asks for a task and expects one. */
  nextTask(): Promise<Schemas["AssignedTask"]>;
  /** A task update the Manager accepts (204). */
  update(taskId: string, body: Record<string, unknown>): Promise<void>;
  /** Uploads a rendered image of the task, as the worker's preview upload does. */
  outputProduced(taskId: string, jpeg: Blob): Promise<void>;
}

/**
 * Registers a worker through the worker API, signs it on and reports the status the Manager
 * asks for, as a Flamenco Worker starting up does.
 */
export async function signOnWorker(
  managerUrl: string,
  name: string,
  opts: { version?: string } = {},
): Promise<SignedOnWorker> {
  const secret = crypto.randomUUID();
  const reg = await fetch(`${managerUrl}/api/v3/worker/register-worker`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, secret, platform: "linux", supported_task_types: ["misc"] }),
  });
  expect(reg.status).toBe(200);
  const { uuid } = (await reg.json()) as Schemas["RegisteredWorker"];
  const auth = `Basic ${btoa(`${uuid}:${secret}`)}`;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${managerUrl}/api/v3/worker${path}`, {
      method,
      headers: {
        authorization: auth,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const changedState = async (status: string) => {
    expect((await call("POST", "/state-changed", { status })).status).toBe(204);
  };
  const signOn = await call("POST", "/sign-on", {
    name,
    supported_task_types: ["misc"],
    software_version: opts.version ?? "3.9-browser-test",
  });
  expect(signOn.status).toBe(200);
  await changedState(((await signOn.json()) as Schemas["WorkerStateChange"]).status_requested);
  return {
    id: uuid,
    name,
    call,
    changedState,
    async nextTask() {
      const res = await call("POST", "/task");
      expect(res.status).toBe(200);
      return (await res.json()) as Schemas["AssignedTask"];
    },
    async update(taskId, body) {
      expect((await call("POST", `/task/${taskId}`, body)).status).toBe(204);
    },
    async outputProduced(taskId, jpeg) {
      const res = await fetch(`${managerUrl}/api/v3/worker/task/${taskId}/output-produced`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "image/jpeg" },
        body: jpeg,
      });
      expect(res.status).toBe(202);
    },
  };
}

/** Where browser tests also put screenshots meant for a person to look at (the lead's review). */
export const SHARED_SCREENSHOTS_DIR = "/tmp/tablao-screenshots";

/** Saves a screenshot of the viewport as `dir/name.png` and a copy in SHARED_SCREENSHOTS_DIR; returns its path. */
export async function saveScreenshot(page: Page, dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.png`);
  const png = await page.screenshot({ path, fullPage: false });
  mkdirSync(SHARED_SCREENSHOTS_DIR, { recursive: true });
  writeFileSync(join(SHARED_SCREENSHOTS_DIR, `${name}.png`), png);
  return path;
}
