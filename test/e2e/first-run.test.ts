// First run to first render, as a new studio would do it: a Manager started without any
// configuration file, its dashboard opened on the Manager's machine (loopback, so admin), the setup
// assistant finished in Chromium, then a worker started without any URL (it finds the Manager by
// UPnP/SSDP) renders a real Blender job submitted right after.
//
// The Manager and the browser run in a "server" network namespace, the worker in a "studio" one
// joined to it by a veth pair with only a multicast route: discovery must work over the LAN
// address, the way a render node finds the Manager.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import YAML from "yaml";
import { z } from "zod";
import {
  BLENDER,
  FRAMES,
  HEIGHT_PX,
  WIDTH_PX,
  blenderEnv,
  makeScene,
  renderJob,
  requireBlender,
} from "../support/blender-scene";
import { newPage, shows, useChromium } from "../support/browser";
import { createStudioNetwork, requireNetworkNamespaces, type StudioNetwork } from "../support/netns";
import {
  killChildren,
  managerApi,
  startManager,
  startWorker,
  type ManagerProcess,
} from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

/** The Manager's Blender search runs the real `blender --version`, a few seconds on a busy machine. */
const BLENDER_SEARCH_TIMEOUT_MS = 30_000;
/** The worker's search repeats every second; the Manager answers within a second. */
const DISCOVERY_TIMEOUT_MS = 30_000;
const RENDER_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 150_000;

const WithId = z.object({ id: z.string() });
const WithStatus = z.object({ status: z.string() });
const WorkersAnswer = z.object({ workers: z.array(z.object({ name: z.string(), status: z.string() })) });

afterAll(killChildren);
const tempDir = tempDirs("tablao-first-run");
let lan: StudioNetwork | undefined;

beforeAll(() => {
  requireNetworkNamespaces("the first-run test");
  requireBlender();
  lan = createStudioNetwork("fr", 82);
});
afterAll(async () => {
  await killChildren();
  lan?.delete();
});
const browser = useChromium({
  netns: () => {
    if (!lan) throw new Error("the network namespaces were not made");
    return lan.server.name;
  },
});

test(
  "a fresh Manager: setup assistant in the browser, then a discovered worker renders real frames",
  async () => {
    const managerDir = tempDir();
    const shared = tempDir();
    const manager: ManagerProcess = await startManager(managerDir, {}, "0.0.0.0", {
      netns: lan?.server.name,
      reachAt: lan?.serverTestSide,
      firstRun: true,
    });
    const configFile = join(managerDir, "flamenco-manager.yaml");
    expect(existsSync(configFile)).toBe(false);

    // On the Manager's own machine the dashboard is admin's, and a first run opens the assistant.
    const page = await newPage(browser());
    const localUrl = `http://127.0.0.1:${manager.port}`;
    await page.goto(`${localUrl}/`);
    await page.getByRole("heading", { name: "Setup assistant" }).waitFor();
    await page.getByRole("button", { name: "Start" }).click();
    const storageInput = page.getByLabel("Shared storage path, as the Manager sees it");
    await storageInput.fill(shared);
    await shows(page.locator("#storage-verdict"), "Directory checked successfully");
    await storageInput.press("Enter");

    // The real Blender on the Manager's PATH is offered and chosen.
    await page.getByRole("heading", { name: "Blender" }).waitFor();
    await shows(page.locator(".setup-choice"), BLENDER, BLENDER_SEARCH_TIMEOUT_MS);
    expect(await page.getByRole("radio", { name: /found on the Manager's PATH/ }).isChecked()).toBe(true);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Save configuration" }).click();
    await shows(page.locator(".setup"), "already in effect");
    const saved = YAML.parse(readFileSync(configFile, "utf8")) as { shared_storage_path: string };
    expect(saved.shared_storage_path).toBe(shared);

    // A render node without any Manager URL finds it, and the done page counts it.
    const workerHome = tempDir();
    startWorker(null, {
      name: "discovered",
      home: workerHome,
      netns: lan?.studio.name,
      env: blenderEnv(tempDir()),
    });
    const api = managerApi(manager.url);
    await waitFor(
      "the discovered worker to be awake",
      async () =>
        WorkersAnswer.parse(await api.get("/api/v3/worker-mgt/workers")).workers.some(
          (w) => w.name === "discovered" && w.status === "awake",
        ),
      DISCOVERY_TIMEOUT_MS,
    );
    await shows(page.locator(".setup-worker-count"), "1 worker");
    expect(readFileSync(join(workerHome, "worker.log.0"), "utf8")).toContain(
      `at http://${lan?.serverStudioSide}:${manager.port}/`,
    );

    // A job submitted right after renders with the Blender and storage the assistant saved.
    const project = join(shared, "project");
    const blendfile = join(project, "scene.blend");
    mkdirSync(project);
    await makeScene(blendfile, blenderEnv(tempDir()));
    const job = WithId.parse(await api.post("/api/v3/jobs", renderJob(project, blendfile, 3)));
    await waitFor(
      "the render job to complete",
      async () => {
        const { status } = WithStatus.parse(await api.get(`/api/v3/jobs/${job.id}`));
        if (status === "failed") throw new Error(`the job failed; Manager log:\n${manager.log()}`);
        return status === "completed";
      },
      RENDER_TIMEOUT_MS,
    );
    const renderDir = join(project, "out", "render");
    const frames = readdirSync(renderDir).filter((f) => f.endsWith(".png"));
    expect(frames.sort()).toEqual(FRAMES.map((f) => `${String(f).padStart(6, "0")}.png`));
    for (const frame of frames)
      expect(await sharp(join(renderDir, frame)).metadata()).toMatchObject({
        width: WIDTH_PX,
        height: HEIGHT_PX,
      });
    await page.context().close();
  },
  TEST_TIMEOUT_MS,
);
