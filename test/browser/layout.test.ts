// The jobs view's layout from 1,024 px up: with a task far down a long list chosen and its log
// scrolled, the job's actions stay in the viewport, nothing sticks out on the right, and the
// task pane shows without scrolling the page. Screenshots go to a temp folder and to
// SHARED_SCREENSHOTS_DIR for a person to look at.
import { afterEach, describe, expect, test } from "bun:test";
import type { Locator, Page } from "playwright-core";
import {
  closeBrowserWorld,
  newPage,
  onPageErrors,
  openBrowserWorld,
  saveScreenshot,
  shows,
  STEP_TIMEOUT_MS,
  submitEchoJob,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { tempDirs } from "../support/temp-dirs";

/** Tasks of the job: enough that the last one is far below the fold of the tasks table. */
const SLEEP_TASKS = 40;
const VIEWPORTS = [
  { width: 1024, height: 768 },
  { width: 1400, height: 900 },
  { width: 1920, height: 1080 },
];
/** The areas that must fit the viewport's width; what is wider scrolls inside them. */
const AREAS = [".header", ".pane-list", ".job-header", ".job-body", ".task-pane", "footer"];

const browser = useChromium();
const tempDir = tempDirs("tablao-layout");
let world: BrowserWorld | null = null;
afterEach(async () => {
  if (world) await closeBrowserWorld(world);
  world = null;
});

async function expectInViewport(page: Page, locator: Locator, what: string): Promise<void> {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize()!;
  expect({ what, box }).toMatchObject({ what, box: expect.anything() as unknown });
  expect({
    what,
    inside: box!.x >= 0 && box!.y >= 0 && box!.x + box!.width <= width && box!.y + box!.height <= height,
  }).toEqual({ what, inside: true });
}

async function expectNothingOverflows(page: Page): Promise<void> {
  const { scrollWidth, innerWidth, overflowing } = await page.evaluate((areas) => {
    const over = areas.flatMap((sel) =>
      [...document.querySelectorAll(sel)]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(() => sel),
    );
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      overflowing: over,
    };
  }, AREAS);
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  expect(overflowing).toEqual([]);
}

describe("jobs view layout", () => {
  for (const viewport of VIEWPORTS) {
    test(
      `at ${viewport.width} px the job's actions stay in reach and nothing sticks out`,
      async () => {
        world = await openBrowserWorld(browser());
        const { manager } = world;
        const page = await newPage(browser(), { viewport });
        onPageErrors(page, (e) => world!.consoleErrors.push(e));
        const jobId = await submitEchoJob(manager.url, "layout-job", { sleepRepeats: SLEEP_TASKS });
        await page.goto(`${manager.url}/app/jobs/${jobId}`);
        const header = page.locator("section.job-details .job-header");
        await shows(header.locator("h2"), "layout-job");
        const rows = page.locator("tr[data-task-id]");
        await rows.nth(SLEEP_TASKS).waitFor();
        const cancel = header.locator("button", { hasText: /^Cancel$/ });
        const del = header.locator("button", { hasText: /^Delete$/ });

        const last = rows.nth(SLEEP_TASKS);
        await last.scrollIntoViewIfNeeded();
        const taskId = await last.getAttribute("data-task-id");
        await last.locator("a").first().click();
        const task = page.locator(`section.task-details[data-task-id="${taskId}"]`);
        await task.locator("h3").waitFor();
        await expectInViewport(page, cancel, "Cancel after choosing the last task");
        await expectInViewport(page, del, "Delete after choosing the last task");
        await expectInViewport(page, task.locator("h3"), "the task's title");
        await expectInViewport(page, task.locator("pre.log"), "the task's log");

        // Each area scrolls by itself: scrolling the log, the task and the job body moves no action.
        await page.evaluate(() => {
          for (const sel of ["pre.log", ".task-info", ".job-body"]) {
            const el = document.querySelector(sel)!;
            el.scrollTop = el.scrollHeight;
          }
        });
        await page.locator("pre.log").hover();
        await page.mouse.wheel(0, 2000);
        await expectInViewport(page, cancel, "Cancel after scrolling the log");
        await expectInViewport(page, del, "Delete after scrolling the log");
        await expectNothingOverflows(page);
        await saveScreenshot(page, tempDir(), `layout-${viewport.width}`);
        await page.context().close();
        expect(world.consoleErrors).toEqual([]);
      },
      STEP_TIMEOUT_MS,
    );
  }
});
