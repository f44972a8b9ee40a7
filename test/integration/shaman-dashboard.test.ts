// The dashboard's Shaman page in a real Chromium against a real Manager: what it shows with
// Shaman running (file store, last garbage collection) and with Shaman off.
import { afterEach, expect, test } from "bun:test";
import {
  closeBrowserWorld,
  openBrowserWorld,
  shows,
  STEP_TIMEOUT_MS,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { shamanClient } from "../manager/shaman/addon-client";

const browser = useChromium();
let world: BrowserWorld | null = null;
afterEach(async () => {
  if (world) await closeBrowserWorld(world);
  expect(world?.consoleErrors ?? []).toEqual([]);
  world = null;
});

test(
  "shows the store's size and the last garbage collection, reached from the navigation",
  async () => {
    world = await openBrowserWorld(browser());
    const { manager, page } = world;
    const data = (text: string) => new TextEncoder().encode(text);
    await shamanClient(manager.url).pack(
      [
        { path: "a.blend", data: data("scene") },
        { path: "b.png", data: data("texture!") },
      ],
      "dashboard",
    );
    await manager.manager.services.shaman!.sweep();
    await page.goto(`${manager.url}/app/jobs`);
    await page.getByRole("link", { name: "Shaman" }).click();
    await shows(page.locator("[data-shaman=on]"), "relative symbolic links");
    expect(await page.locator("[data-field=blobs]").textContent()).toBe("2");
    await shows(page.locator("[data-shaman=on]"), "13 bytes");
    await shows(page.locator("[data-field=last-gc]"), "removed 0 of 2 files (0 bytes)");
  },
  STEP_TIMEOUT_MS,
);

test(
  "says when Shaman is off",
  async () => {
    world = await openBrowserWorld(browser(), { config: { shaman: { enabled: false } } });
    await world.page.goto(`${world.manager.url}/app/shaman`);
    await shows(world.page.locator("[data-shaman=off]"), "Shaman is off");
  },
  STEP_TIMEOUT_MS,
);
