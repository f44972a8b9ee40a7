import { describe, expect, test } from "bun:test";
import { existsSync, linkSync, mkdirSync, symlinkSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { collectGarbage } from "../../../src/manager/shaman/gc";
import { GC_FIRST_SWEEP_DELAY_MS } from "../../../src/manager/shaman/limits";
import { blobPath } from "../../../src/manager/shaman/paths";
import { receiveFile } from "../../../src/manager/shaman/receive-file";
import { createShaman } from "../../../src/manager/shaman/service";
import { FakeClock } from "../../support/fake-clock";
import { tempDirs } from "../../support/temp-dirs";
import { waitFor } from "../../support/wait";
import { shamanFixture, specFor, tree } from "./fixture";

const tempDir = tempDirs("tablao-shaman-gc");
const DAY_MS = 24 * 3_600_000;
const NOW = new Date("2026-06-01T00:00:00Z");
const MAX_AGE_MS = 31 * DAY_MS;

/** A store with blobs last used `ageDays` ago each. */
async function storeWithAges(ages: Record<string, number>) {
  const s = shamanFixture(join(tempDir(), "shared"));
  const paths: Record<string, string> = {};
  for (const [contents, ageDays] of Object.entries(ages)) {
    await s.store(contents);
    paths[contents] = blobPath(s.layout, specFor("", contents));
    const when = new Date(NOW.getTime() - ageDays * DAY_MS);
    utimesSync(paths[contents], when, when);
  }
  return { ...s, paths };
}

describe("a sweep", () => {
  test("deletes old unreferenced blobs and their folders, keeps recent and referenced ones", async () => {
    const s = await storeWithAges({ recent: 30, old: 32, linked: 40, hardlinked: 50, ancient: 400 });
    mkdirSync(join(s.layout.checkouts, "job/sub"), { recursive: true });
    symlinkSync(s.paths.linked!, join(s.layout.checkouts, "job/sub/linked"));
    symlinkSync("/nowhere", join(s.layout.checkouts, "job/broken"));
    linkSync(s.paths.hardlinked!, join(s.layout.checkouts, "job/hard"));

    const dry = await collectGarbage({ layout: s.layout, now: NOW, maxAgeMs: MAX_AGE_MS, dryRun: true });
    expect(dry.removed.map((b) => b.path).sort()).toEqual([s.paths.ancient!, s.paths.old!].sort());
    expect(dry.removedBytes).toBe("ancient".length + "old".length);
    expect(dry.kept).toBe(2);
    expect(dry.blobs).toBe(5);
    expect(Object.values(s.paths).every((p) => existsSync(p))).toBe(true);

    const real = await collectGarbage({ layout: s.layout, now: NOW, maxAgeMs: MAX_AGE_MS, dryRun: false });
    expect(real.removed).toEqual(dry.removed);
    expect(existsSync(s.paths.old!)).toBe(false);
    expect(existsSync(s.paths.ancient!)).toBe(false);
    for (const kept of ["recent", "linked", "hardlinked"]) expect(existsSync(s.paths[kept]!)).toBe(true);
    // Their sha folders are gone with them; no empty folder stays behind.
    expect(tree(s.layout.stored).filter((p) => p.endsWith(".blob"))).toHaveLength(3);
    expect(tree(s.layout.stored).filter((p) => p.split("/").length === 2 && p.endsWith("/"))).toHaveLength(3);
  });

  test("a checkout made with the API keeps its blobs; after its removal they go", async () => {
    const s = await storeWithAges({ a: 100 });
    await s.checkouts.create("p", [specFor("f", "a")]);
    // The checkout marked the blob as used at the fake clock's time, long before NOW.
    utimesSync(s.paths.a!, new Date(0), new Date(0));
    expect(
      (await collectGarbage({ layout: s.layout, now: NOW, maxAgeMs: MAX_AGE_MS, dryRun: false })).kept,
    ).toBe(1);
    await s.checkouts.remove("p");
    const after = await collectGarbage({ layout: s.layout, now: NOW, maxAgeMs: MAX_AGE_MS, dryRun: false });
    expect(after.removed.map((b) => b.path)).toEqual([s.paths.a!]);
  });
});

describe("the schedule", () => {
  test("sweeps first after the start-up delay, then every period; the status tells the last result", async () => {
    const dir = tempDir();
    const clock = new FakeClock(NOW.getTime());
    const shaman = createShaman({
      config: {
        isFirstRun: false,
        sharedStoragePath: join(dir, "shared"),
        shaman: { enabled: true, gcPeriodMs: DAY_MS, gcMaxAgeMs: MAX_AGE_MS },
      },
      clock,
      receive: receiveFile,
      log: () => {},
    })!;
    const s = shamanFixture(join(dir, "shared"));
    await s.store("old");
    const blob = blobPath(s.layout, specFor("", "old"));
    utimesSync(blob, new Date(0), new Date(0));
    shaman.start();
    await shaman.ready();
    clock.advance(GC_FIRST_SWEEP_DELAY_MS - 1);
    expect((await shaman.status()).lastGc).toBeNull();
    clock.advance(1);
    const first = await waitFor("the first sweep", async () => (await shaman.status()).lastGc);
    expect(first.removed.map((b) => b.path)).toEqual([blob]);
    await s.store("new");
    utimesSync(blobPath(s.layout, specFor("", "new")), new Date(0), new Date(0));
    clock.advance(DAY_MS);
    const second = await waitFor("the second sweep", async () => {
      const last = (await shaman.status()).lastGc;
      return last !== first && last;
    });
    expect(second.removed).toHaveLength(1);
    await shaman.stop();
  });

  test("Shaman does not run when disabled or on a first run", () => {
    const base = { sharedStoragePath: tempDir(), shaman: { enabled: true, gcPeriodMs: 0, gcMaxAgeMs: 0 } };
    const make = (config: typeof base & { isFirstRun: boolean }) =>
      createShaman({ config, clock: new FakeClock(), receive: receiveFile, log: () => {} });
    expect(make({ ...base, isFirstRun: true })).toBeNull();
    expect(make({ ...base, isFirstRun: false, shaman: { ...base.shaman, enabled: false } })).toBeNull();
    expect(make({ ...base, isFirstRun: false })).not.toBeNull();
  });
});
