// The dashboard while its Manager is away: a real Manager process is stopped under an open page
// and started again on the same port and database. The page must say the Manager is unreachable,
// keep the last data (greyed, actions off), never call an existing job deleted, and come back by
// itself once the Manager answers.
import { afterAll, afterEach, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import {
  newPage,
  onPageErrors,
  shows,
  STEP_TIMEOUT_MS,
  submitEchoJob,
  UI_TIMEOUT_MS,
  useChromium,
} from "../support/browser";
import { killChildren, startManager, type ManagerProcess } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";

/** Stopping and starting a whole Manager process, and the page noticing, on a busy machine. */
const RECOVERY_TIMEOUT_MS = 30_000;

const browser = useChromium();
const tempDir = tempDirs("tablao-connection");
afterAll(killChildren);

let page: Page | null = null;
afterEach(async () => {
  await page?.context().close();
  page = null;
});

/** What a browser reports about a server that is not there is expected here; nothing else is. */
const OUTAGE_NOISE = /ERR_CONNECTION_REFUSED|WebSocket connection to|Failed to load resource/;

test(
  "with the Manager stopped the page says so, keeps the stale data and never calls a job deleted; it recovers after a restart",
  async () => {
    const manager: ManagerProcess = await startManager(tempDir());
    const first = await submitEchoJob(manager.url, "outage-first");
    const second = await submitEchoJob(manager.url, "outage-second");
    page = await newPage(browser());
    const errors: string[] = [];
    onPageErrors(
      page,
      (e) => errors.push(e),
      (text) => OUTAGE_NOISE.test(text),
    );

    await page.goto(`${manager.url}/app/jobs/${first}`);
    await page.locator('.connection[data-state="open"]').waitFor();
    const details = page.locator("section.job-details");
    await shows(details.locator("h2"), "outage-first");
    const cancel = details.locator(".job-header button", { hasText: /^Cancel$/ });
    expect(await cancel.isEnabled()).toBe(true);

    await manager.stop();
    const banner = page.locator(".connection-banner");
    await shows(banner, /Manager unreachable — showing data from \d\d:\d\d:\d\d/, RECOVERY_TIMEOUT_MS);
    await page.locator('.connection[data-state="unreachable"]').waitFor();
    expect(await page.locator(".farm-status").getAttribute("data-status")).toBe("unknown");
    // The last known job stays, marked stale, its actions off.
    await shows(details.locator("h2"), "outage-first");
    expect(await page.locator("main.stale").count()).toBe(1);
    expect(await cancel.isDisabled()).toBe(true);

    // Choosing another job that exists: no answer is not "deleted".
    await page.locator(`tr[data-job-id="${second}"] a`).click();
    await shows(page.locator(".pane-job .hint"), "loads once the Manager answers");
    expect(await page.locator("text=does not exist").count()).toBe(0);

    await manager.restart();
    await page.locator('.connection[data-state="open"]').waitFor({ timeout: RECOVERY_TIMEOUT_MS });
    await shows(details.locator("h2"), "outage-second", RECOVERY_TIMEOUT_MS);
    await banner.waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
    expect(await page.locator("main.stale").count()).toBe(0);
    expect(await page.locator(".farm-status").getAttribute("data-status")).not.toBe("unknown");
    expect(await details.locator(".job-header button", { hasText: /^Cancel$/ }).isEnabled()).toBe(true);
    expect(await page.locator("text=does not exist").count()).toBe(0);
    expect(errors).toEqual([]);
    await manager.stop();
  },
  STEP_TIMEOUT_MS * 2,
);
