// The first-run setup assistant in a real Chromium against a real Manager started without a
// configuration file (SQLite file, Bun.serve, /ws): the redirect to the assistant, the live
// checks of shared storage and Blender, saving, the file it writes, the configuration applied to
// the next job without a restart, the done page's live worker count, and what a viewer sees.
//
// The Manager's PATH starts with a folder holding a stand-in `blender` (it only answers
// `--version`): the search for Blender finds it at once, where a real Blender takes seconds.
import { afterEach, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import YAML from "yaml";
import type { Schemas } from "../../src/worker/client";
import {
  STEP_TIMEOUT_MS,
  closeBrowserWorld,
  openBrowserWorld,
  shows,
  signOnWorker,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { managerApi } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";

const browser = useChromium();
const freshDir = tempDirs("tablao-setup-assistant");

/** Chromium logs every 4xx answer as a failed load; the test causes one on purpose. */
const REFUSED_CHECK = /status of 400/;

let world: BrowserWorld | null = null;
afterEach(async () => {
  const w = world;
  world = null;
  if (!w) return;
  try {
    expect(w.consoleErrors.filter((e) => !REFUSED_CHECK.test(e))).toEqual([]);
  } finally {
    await closeBrowserWorld(w);
  }
}, STEP_TIMEOUT_MS);

/** An executable script that answers `--version` like Blender does; returns its path. */
function standInBlender(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho "Blender 4.2.0 (stand-in)"\n');
  chmodSync(path, 0o755);
  return path;
}

/** The Manager's environment: its own folder with a stand-in `blender` first on the PATH. */
function envWithBlenderOnPath(): { env: Record<string, string | undefined>; onPath: string } {
  const bin = freshDir();
  const onPath = standInBlender(bin, "blender");
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` }, onPath };
}

const verdict = (page: Page, id: string) => page.locator(`#${id}`);

test(
  "a fresh Manager shows the assistant; finishing it writes the configuration, applied at once",
  async () => {
    const { env, onPath } = envWithBlenderOnPath();
    world = await openBrowserWorld(browser(), { firstRun: true, env });
    const { page, manager } = world;
    const configFile = join(manager.dir, "flamenco-manager.yaml");
    const api = managerApi(manager.url);
    expect(existsSync(configFile)).toBe(false);
    expect(await api.get("/api/v3/configuration")).toMatchObject({ isFirstRun: true });

    // The dashboard's front door leads an admin (loopback is admin by default) to the assistant.
    await page.goto(`${manager.url}/`);
    await page.getByRole("heading", { name: "Setup assistant" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/app/setup");
    await page.getByRole("button", { name: "Start" }).click();

    // Shared storage: a path that does not exist gets the Manager's verdict and blocks the way on.
    // Each step's title takes the focus, so keyboard and screen-reader users start there.
    await page.getByRole("heading", { name: "Shared storage" }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Shared storage");
    const storageInput = page.getByLabel("Shared storage path, as the Manager sees it");
    await storageInput.fill(join(freshDir(), "no-such-folder"));
    await shows(verdict(page, "storage-verdict"), "does not exist");
    expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
    const shared = freshDir();
    await storageInput.fill(shared);
    await shows(verdict(page, "storage-verdict"), "Directory checked successfully");
    await storageInput.press("Enter");

    // Blender: the one on the Manager's PATH is offered and chosen; a typed path is checked live.
    await page.getByRole("heading", { name: "Blender" }).waitFor();
    const foundChoice = page.getByRole("radio", { name: /found on the Manager's PATH/ });
    await shows(page.locator(".setup-choice"), onPath);
    expect(await foundChoice.isChecked()).toBe(true);
    const customInput = page.getByLabel("Blender command or path");
    await customInput.fill("relative/blender");
    await shows(
      verdict(page, "blender-verdict"),
      /The Manager refused the check: .*neither an absolute path/,
    );
    expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
    const custom = standInBlender(freshDir(), "blender-custom");
    await customInput.fill(custom);
    await shows(verdict(page, "blender-verdict"), "Found Blender 4.2.0 (stand-in)");
    expect(await page.getByRole("radio", { name: /Another Blender/ }).isChecked()).toBe(true);
    await page.getByRole("button", { name: "Next" }).click();

    // Review, then save.
    await shows(page.locator(".setup-review"), shared);
    await shows(page.locator(".setup-review"), custom);
    expect(existsSync(configFile)).toBe(false);
    await page.getByRole("button", { name: "Save configuration" }).click();

    // Done: the file is on disk with the choices, and the Manager has left first-run mode.
    await shows(page.locator(".setup"), "already in effect");
    const saved = YAML.parse(readFileSync(configFile, "utf8")) as {
      shared_storage_path: string;
      variables: { blender: { values: { platform: string; value: string }[] } };
    };
    expect(saved.shared_storage_path).toBe(shared);
    expect(saved.variables.blender.values.map((v) => [v.platform, v.value])).toEqual([
      ["linux", custom],
      ["windows", custom],
      ["darwin", custom],
    ]);
    expect(await api.get("/api/v3/configuration")).toMatchObject({ isFirstRun: false });

    // The done page follows the workers live, and gives this Manager's address for the add-on and curl.
    await shows(page.locator(".setup-worker-count"), "0 workers");
    await shows(page.locator(".setup-manager-url"), `${manager.url}/`);
    await shows(page.locator(".setup-curl"), `curl -s -X POST ${manager.url}/api/v3/jobs`);
    expect(await page.getByRole("link", { name: "Interactive API documentation" }).getAttribute("href")).toBe(
      "/api/v3/docs",
    );
    const worker = await signOnWorker(manager.url, "render-01", { version: "3.9-setup" });
    await shows(
      page.locator(".setup-worker-count"),
      "1 worker known to this Manager, running version 3.9-setup",
    );

    // Applied without a restart: the next job's task gets the saved Blender and shared storage.
    const job = (await api.post("/api/v3/jobs", {
      name: "after setup",
      type: "echo-sleep-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { message: "{blender} in {jobs}", sleep_duration_seconds: 1, sleep_repeats: 1 },
    })) as Schemas["Job"];
    const task = await worker.nextTask();
    expect(task.job).toBe(job.id);
    expect(task.commands[0]?.parameters).toMatchObject({ message: `${custom} in ${join(shared, "jobs")}` });

    // And the dashboard is back to normal: the jobs view, no first-run notice.
    await page.getByRole("link", { name: "Go to the jobs" }).click();
    await shows(page.locator(".main"), "after setup");
    expect(new URL(page.url()).pathname).toBe("/app/jobs");
    expect(await page.locator(".first-run-notice").count()).toBe(0);
  },
  STEP_TIMEOUT_MS,
);

test(
  "a viewer is told to ask an admin, and cannot run the assistant",
  async () => {
    world = await openBrowserWorld(browser(), {
      // A file without shared storage is a first run too; loopback gets only the viewer role.
      config: {
        shared_storage_path: "",
        auth: { trusted_networks: { "127.0.0.0/8": "viewer", "::1/128": "viewer" } },
      },
    });
    const { page, manager } = world;
    await page.goto(`${manager.url}/`);
    await shows(page.locator(".first-run-notice"), "Please ask an admin to run the setup assistant.");
    expect(new URL(page.url()).pathname).not.toContain("setup");
    await page.goto(`${manager.url}/app/setup`);
    await shows(page.locator(".setup"), "Only an admin can configure the Manager");
    expect(await page.getByRole("button", { name: "Start" }).count()).toBe(0);
  },
  STEP_TIMEOUT_MS,
);
