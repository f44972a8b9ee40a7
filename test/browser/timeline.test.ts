// The job timeline in a real Chromium: two real workers (`bun src/worker/main.ts` processes) run
// an echo/sleep job on a real Manager; the job's timeline then shows a lane per worker holding
// exactly the tasks that worker ran, and the figures list both workers.
import { afterAll, afterEach, expect, test } from "bun:test";
import { z } from "zod";
import {
  closeBrowserWorld,
  openBrowserWorld,
  saveScreenshot,
  shows,
  STEP_TIMEOUT_MS,
  submitEchoJob,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { killChildren, managerApi, startWorker } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

/** Two workers registering, then running a seven-task job of one-second sleeps, on a busy machine. */
const FARM_TIMEOUT_MS = 60_000;
/** Sleep tasks after the echo: enough for both workers to take some while the other is busy. */
const SLEEP_TASKS = 6;

afterAll(killChildren);
const browser = useChromium();
const tempDir = tempDirs("tablao-timeline");
let world: BrowserWorld | null = null;
afterEach(async () => {
  if (world) await closeBrowserWorld(world);
  world = null;
});

const Workers = z.object({ workers: z.array(z.object({ name: z.string(), status: z.string() })) });
const Job = z.object({ status: z.string() });
const Tasks = z.object({
  tasks: z.array(
    z.object({ name: z.string(), status: z.string(), worker: z.object({ name: z.string() }).optional() }),
  ),
});

test(
  "the timeline shows a lane per worker with the tasks each of two real workers ran",
  async () => {
    world = await openBrowserWorld(browser());
    const { page, manager } = world;
    const api = managerApi(manager.url);
    const names = ["timeline-a", "timeline-b"];
    for (const name of names) startWorker(manager.url, { name, home: tempDir() });
    await waitFor(
      "both workers awake",
      async () =>
        Workers.parse(await api.get("/api/v3/worker-mgt/workers")).workers.filter((w) => w.status === "awake")
          .length === 2,
      FARM_TIMEOUT_MS,
    );
    const jobId = await submitEchoJob(manager.url, "timeline-job", { sleepRepeats: SLEEP_TASKS });
    await waitFor(
      "the job to complete",
      async () => Job.parse(await api.get(`/api/v3/jobs/${jobId}`)).status === "completed",
      FARM_TIMEOUT_MS,
    );
    const tasks = Tasks.parse(await api.get(`/api/v3/jobs/${jobId}/tasks`)).tasks;
    const ranBy = (worker: string) =>
      tasks
        .filter((t) => t.worker?.name === worker)
        .map((t) => t.name)
        .sort();
    // The scenario needs both workers to have run something; the scheduler decides who does.
    expect(names.map((n) => ranBy(n).length > 0)).toEqual([true, true]);

    await page.goto(`${manager.url}/app/jobs/${jobId}`);
    const timeline = page.locator("details.job-timeline");
    await shows(timeline.locator("summary"), `Timeline (${SLEEP_TASKS + 1} runs)`);
    const lanes = timeline.locator(".timeline-lane");
    expect(await lanes.count()).toBe(2);
    for (const name of names) {
      const lane = timeline.locator(`.timeline-lane[data-worker-name="${name}"]`);
      const bars = await lane
        .locator(".timeline-bar.outcome-completed")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-task-name") ?? ""));
      expect(bars.sort()).toEqual(ranBy(name));
      await shows(timeline.locator('table[aria-label="Figures by worker"] tr'), name);
    }
    const title = await timeline.locator(".timeline-bar").first().getAttribute("title");
    expect(title).toMatch(/ on timeline-[ab]: \d\d:\d\d:\d\d–\d\d:\d\d:\d\d \(.+\), completed$/);
    await timeline.scrollIntoViewIfNeeded();
    await saveScreenshot(page, tempDir(), "timeline-two-workers");
    expect(world.consoleErrors).toEqual([]);
  },
  STEP_TIMEOUT_MS * 2,
);
