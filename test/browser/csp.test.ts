// The dashboard and the API docs page in a real Chromium under the Manager's
// Content-Security-Policy, with every request to another host refused (a farm without internet):
// both pages work, and the browser reports no policy violation, no console error and no
// attempt to reach another host.
import { afterEach, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { CONTENT_SECURITY_POLICY } from "../../src/manager/api/security-headers";
import {
  STEP_TIMEOUT_MS,
  closeBrowserWorld,
  openBrowserWorld,
  submitEchoJob,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { waitFor } from "../support/wait";

/** How long a page gets to show what the test waits for (Scalar's bundle is ~5 MB). */
const UI_TIMEOUT_MS = 15_000;

const browser = useChromium();

/** One test's world, with the requests its page made for other hosts. */
interface World extends BrowserWorld {
  /** Requests for other hosts, refused by the route below. */
  foreignRequests: string[];
}

let current: World | null = null;

/** Collected in the page before any of its scripts run (init scripts are not subject to the CSP). */
function recordViolations() {
  const seen: string[] = [];
  (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
  document.addEventListener("securitypolicyviolation", (e) =>
    seen.push(
      `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`,
    ),
  );
}

async function openWorld(): Promise<World> {
  if (current) throw new Error("a world is already open in this test");
  const world: World = {
    ...(await openBrowserWorld(browser(), { uiTimeoutMs: UI_TIMEOUT_MS })),
    foreignRequests: [],
  };
  const { context, manager } = world;
  const origin = new URL(manager.url).origin;
  await context.route(
    (url) => url.origin !== origin,
    async (route) => {
      world.foreignRequests.push(route.request().url());
      await route.abort("internetdisconnected");
    },
  );
  await context.addInitScript(recordViolations);
  current = world;
  return world;
}

/** The page's CSP violations so far. */
const violations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);

afterEach(async () => {
  const w = current;
  if (!w) return;
  current = null;
  await closeBrowserWorld(w);
  expect(w.consoleErrors).toEqual([]);
  expect(w.foreignRequests).toEqual([]);
}, STEP_TIMEOUT_MS);

test(
  "the dashboard goes live under the policy: its script, styles and WebSocket are allowed",
  async () => {
    const w = await openWorld();
    const id = await submitEchoJob(w.manager.url, "CSP check", { sleepRepeats: 1 });

    const response = await w.page.goto(`${w.manager.url}/app/jobs/${id}`);
    expect(response?.headers()["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    // Live: the WebSocket (connect-src) is open; styled: the stylesheet (style-src) applied.
    await w.page.locator('.connection[data-state="open"]').waitFor();
    await w.page.getByText("CSP check").first().waitFor();
    const background = await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).not.toBe("rgba(0, 0, 0, 0)");
    expect(await violations(w.page)).toEqual([]);
  },
  STEP_TIMEOUT_MS,
);

test(
  "an inline script injected into the dashboard is refused and reported",
  async () => {
    // Proves the two checks above can fail: the policy is enforced, and violations are seen.
    const w = await openWorld();
    await w.page.goto(`${w.manager.url}/app/`);
    await w.page.locator('.connection[data-state="open"]').waitFor();
    const ran = await w.page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "window.__injected = true;";
      document.body.append(script);
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    // Both reports arrive as separate tasks, after the refusal itself.
    const reported = await waitFor("the violation report", async () => {
      const seen = await violations(w.page);
      return seen.length > 0 && seen;
    });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toStartWith("script-src-elem blocked inline");
    // Chromium also logs the refusal as a console error; that one is expected here.
    await waitFor("the console error", () => w.consoleErrors.length > 0);
    expect(w.consoleErrors).toHaveLength(1);
    expect(w.consoleErrors[0]).toContain("Content Security Policy");
    w.consoleErrors.length = 0;
  },
  STEP_TIMEOUT_MS,
);

test(
  "the API docs render offline from the local Scalar bundle, without policy violations",
  async () => {
    const w = await openWorld();
    const response = await w.page.goto(`${w.manager.url}/api/v3/docs`);
    expect(response?.headers()["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    // The document's title and operations (the first tag's are listed open), from /api/v3/openapi3.json.
    await w.page.getByText("Tablao Manager API").first().waitFor();
    await w.page.getByText("Report the Manager's version and name").first().waitFor();
    await w.page.getByText("Check whether a path or command starts Blender").first().waitFor();
    // Opening another tag renders its operations too.
    await w.page.getByRole("button", { name: "Open Group - jobs" }).click();
    await w.page.getByText("Compile a job into tasks and queue it").first().waitFor();
    expect(await violations(w.page)).toEqual([]);
  },
  STEP_TIMEOUT_MS,
);
