// The dashboard's tables in a real Chromium against a real Manager: sorting by a column header,
// the status filter, shift-click multi-select, bulk actions on jobs, tasks and workers (checked on
// the Manager through its API), a bulk action whose items partly fail, and "select preceding jobs".
import { afterEach, describe, expect, test } from "bun:test";
import type { Locator, Request } from "playwright-core";
import {
  STEP_TIMEOUT_MS,
  UI_TIMEOUT_MS,
  closeBrowserWorld,
  openBrowserWorld,
  shows,
  signOnWorker,
  submitEchoJob,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { waitFor } from "../support/wait";

const browser = useChromium();

let world: BrowserWorld | null = null;

afterEach(async () => {
  const w = world;
  world = null;
  if (!w) return;
  await closeBrowserWorld(w);
  expect(w.consoleErrors).toEqual([]);
}, STEP_TIMEOUT_MS);

async function open(): Promise<BrowserWorld> {
  world = await openBrowserWorld(browser());
  return world;
}

const until = <T>(what: string, probe: () => Promise<T>) => waitFor(what, probe, UI_TIMEOUT_MS);

async function api(w: BrowserWorld, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${w.manager.url}/api/v3${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

interface TaskInfo {
  id: string;
  name: string;
  status: string;
  index_in_job: number;
}

async function jobTasks(w: BrowserWorld, jobId: string): Promise<TaskInfo[]> {
  const res = await api(w, "GET", `/jobs/${jobId}/tasks`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { tasks: TaskInfo[] }).tasks.sort((a, b) => a.index_in_job - b.index_in_job);
}

/** The texts of one column, top to bottom. */
const column = (rows: Locator, cell: string) => rows.locator(cell).allTextContents();
const header = (table: Locator, label: string) => table.locator("th", { hasText: label });

async function sortedBy(table: Locator, label: string, order: "ascending" | "descending"): Promise<void> {
  await until(
    `${label} sorted ${order}`,
    async () => (await header(table, label).getAttribute("aria-sort")) === order,
  );
}

describe("dashboard tables: jobs", () => {
  test(
    "jobs sort by a column header, and 'select preceding jobs' ticks the focused job and older ones",
    async () => {
      const w = await open();
      const { page } = w;
      const alpha = await submitEchoJob(w.manager.url, "tables-alpha");
      const charlie = await submitEchoJob(w.manager.url, "tables-charlie");
      const bravo = await submitEchoJob(w.manager.url, "tables-bravo");
      const { jobs } = (await (await api(w, "GET", "/jobs")).json()) as { jobs: { updated: string }[] };
      expect(new Set(jobs.map((j) => j.updated)).size).toBe(3);

      await page.goto(`${w.manager.url}/app/jobs/${charlie}`);
      const table = page.locator('table[aria-label="Jobs"]');
      const rows = table.locator("tbody tr");
      await until("three jobs", async () => (await rows.count()) === 3);
      // Newest first, as Flamenco shows them.
      await sortedBy(table, "Updated", "descending");
      expect(await column(rows, "td.col-name a")).toEqual(["tables-bravo", "tables-charlie", "tables-alpha"]);

      await header(table, "Name").locator("button").click();
      await sortedBy(table, "Name", "ascending");
      expect(await header(table, "Updated").getAttribute("aria-sort")).toBe("none");
      expect(await column(rows, "td.col-name a")).toEqual(["tables-alpha", "tables-bravo", "tables-charlie"]);
      await header(table, "Name").locator("button").press("Enter");
      await sortedBy(table, "Name", "descending");
      expect(await column(rows, "td.col-name a")).toEqual(["tables-charlie", "tables-bravo", "tables-alpha"]);

      await page.locator(".jobs-table button", { hasText: "Select preceding jobs" }).click();
      await shows(page.locator(".jobs-table .selected-count"), "2 selected");
      const ticked = async (id: string) =>
        page.locator(`tr[data-job-id="${id}"] input[type="checkbox"]`).isChecked();
      expect([await ticked(alpha), await ticked(charlie), await ticked(bravo)]).toEqual([true, true, false]);
      // A job arriving live is sorted in; the selection stays as it was.
      const delta = await submitEchoJob(w.manager.url, "tables-delta");
      await until("the new job", async () => (await rows.count()) === 4);
      expect(await column(rows, "td.col-name a")).toEqual([
        "tables-delta",
        "tables-charlie",
        "tables-bravo",
        "tables-alpha",
      ]);
      await shows(page.locator(".jobs-table .selected-count"), "2 selected");
      expect([await ticked(alpha), await ticked(charlie), await ticked(bravo), await ticked(delta)]).toEqual([
        true,
        true,
        false,
        false,
      ]);
      // Queued jobs can be cancelled and paused, not requeued.
      await shows(page.locator(".jobs-table .bulk-bar button"), "Cancel (2)");
      await shows(page.locator(".jobs-table .bulk-bar button"), "Requeue (0)");
    },
    STEP_TIMEOUT_MS,
  );
});

describe("dashboard tables: tasks", () => {
  test(
    "tasks sort, filter by status, shift-click select, and three failed tasks are requeued at once",
    async () => {
      const w = await open();
      const { page } = w;
      const jobId = await submitEchoJob(w.manager.url, "tables-tasks", { sleepRepeats: 4 });
      const tasks = await jobTasks(w, jobId);
      expect(tasks).toHaveLength(5);
      const failed = tasks.slice(1, 4);
      for (const t of failed)
        expect(
          (await api(w, "POST", `/tasks/${t.id}/setstatus`, { status: "failed", reason: "test" })).status,
        ).toBe(204);

      await page.goto(`${w.manager.url}/app/jobs/${jobId}`);
      const section = page.locator("section.tasks");
      const table = section.locator("table");
      const rows = table.locator("tbody tr");
      await until("five tasks", async () => (await rows.count()) === 5);
      await sortedBy(table, "#", "ascending");
      await header(table, "#").locator("button").click();
      await sortedBy(table, "#", "descending");
      expect(await column(rows, "td:nth-child(2)")).toEqual(["5", "4", "3", "2", "1"]);

      const failedChip = section.locator('.status-filter button[data-status="failed"]');
      await shows(failedChip, "failed 3");
      await failedChip.click();
      expect(await failedChip.getAttribute("aria-pressed")).toBe("true");
      await until("only the failed tasks", async () => (await rows.count()) === 3);
      expect(new Set(await column(rows, ".status"))).toEqual(new Set(["failed"]));

      const boxes = rows.locator('input[type="checkbox"]');
      await boxes.nth(0).click();
      await boxes.nth(2).click({ modifiers: ["Shift"] });
      await shows(section.locator(".selected-count"), "3 selected");
      expect(await boxes.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).checked))).toEqual([
        true,
        true,
        true,
      ]);

      await section.locator(".bulk-bar button", { hasText: "Requeue (3)" }).click();
      await until("the three tasks queued on the Manager", async () => {
        const now = await jobTasks(w, jobId);
        return failed.every((f) => now.find((t) => t.id === f.id)?.status === "queued");
      });
      // Requeued, they left the "failed" filter, and with them the selection.
      await until("the failed filter to empty", async () => (await rows.count()) === 0);
      await shows(section.locator(".selected-count"), "0 selected");
    },
    STEP_TIMEOUT_MS,
  );
});

describe("dashboard tables: workers", () => {
  test(
    "two workers ticked together are both asked to go asleep",
    async () => {
      const w = await open();
      const { page } = w;
      const one = await signOnWorker(w.manager.url, "tables-worker-1");
      const two = await signOnWorker(w.manager.url, "tables-worker-2");
      const three = await signOnWorker(w.manager.url, "tables-worker-3");
      await page.goto(`${w.manager.url}/app/workers`);
      const table = page.locator('table[aria-label="Workers"]');
      const row = (id: string) => table.locator(`tr[data-worker-id="${id}"]`);
      await shows(row(three.id), three.name);

      await row(one.id).locator('input[type="checkbox"]').check();
      await row(two.id).locator('input[type="checkbox"]').check();
      await page.locator(".workers-table .bulk-bar button", { hasText: /^asleep \(2\)$/ }).click();
      await shows(row(one.id).locator(".requested"), "asleep");
      await shows(row(two.id).locator(".requested"), "asleep");

      for (const worker of [one, two]) {
        const state = await worker.call("GET", "/state");
        expect(await state.json()).toEqual({ status_requested: "asleep" });
      }
      expect((await three.call("GET", "/state")).status).toBe(204);
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "a bulk action reports the items that failed in one notification",
    async () => {
      const w = await open();
      const { page } = w;
      // The page never hears of the deletion below, so it still offers the deleted worker.
      let dropWorkerEvents = false;
      let socketOpened = false;
      await page.routeWebSocket(/\/ws$/, (pageSide) => {
        const server = pageSide.connectToServer();
        socketOpened = true;
        server.onMessage((m) => {
          if (dropWorkerEvents && (JSON.parse(String(m)) as { event: string }).event === "/workers") return;
          pageSide.send(m);
        });
      });
      // Connecting makes the page fetch the workers again; that answer must predate the deletion.
      const listedAfterConnect = new Set<Request>();
      let listsDone = 0;
      const isWorkerList = (r: Request) => new URL(r.url()).pathname === "/api/v3/worker-mgt/workers";
      page.on("request", (r) => {
        if (socketOpened && isWorkerList(r)) listedAfterConnect.add(r);
      });
      page.on("requestfinished", (r) => {
        if (listedAfterConnect.has(r)) listsDone++;
      });
      const kept = await signOnWorker(w.manager.url, "tables-kept");
      const gone = await signOnWorker(w.manager.url, "tables-gone");
      await page.goto(`${w.manager.url}/app/workers`);
      const table = page.locator('table[aria-label="Workers"]');
      await until("the workers fetched after connecting", async () => listsDone > 0);
      await until("two workers", async () => (await table.locator("tbody tr").count()) === 2);

      dropWorkerEvents = true;
      expect((await api(w, "DELETE", `/worker-mgt/workers/${gone.id}`)).status).toBe(204);
      await table.locator('input[aria-label="Select all shown workers"]').check();
      await page.locator(".workers-table .bulk-bar button", { hasText: /^offline \(2\)$/ }).click();

      await shows(
        page.locator(".notification-line"),
        "Could not ask to go offline 1 of 2 workers: tables-gone:",
      );
      const state = await kept.call("GET", "/state");
      expect(await state.json()).toEqual({ status_requested: "offline" });
      // The browser logs the refused request itself; that one error is this test's point.
      const refused = `/worker-mgt/workers/${gone.id}/setstatus`;
      expect(w.consoleErrors.filter((e) => e.includes(refused))).toHaveLength(1);
      w.consoleErrors = w.consoleErrors.filter((e) => !e.includes(refused));
    },
    STEP_TIMEOUT_MS,
  );
});
