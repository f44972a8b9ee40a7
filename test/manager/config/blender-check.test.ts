import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBlenderProbe, type BlenderLookup } from "../../../src/manager/config/blender-check";
import { tempDirs } from "../../support/temp-dirs";

const freshDir = tempDirs("tablao-blender-check");

/** An executable shell script `name` in a fresh folder; returns the folder. */
function fakeExecutable(body: string, name = "blender"): string {
  const dir = freshDir();
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}

/** Why a lookup failed; fails the test for any other outcome. */
function failureReason(lookup: BlenderLookup): string {
  expect(lookup.status).toBe("failed");
  return lookup.status === "failed" ? lookup.reason : "";
}

const PRINTS_VERSION = 'echo "Blender 4.2.0"\necho "\tbuild date: 2024-07-16"';

describe("createBlenderProbe", () => {
  test("a bare name is looked up on the given PATH only", async () => {
    const bin = fakeExecutable(PRINTS_VERSION);
    const probe = createBlenderProbe({ env: { PATH: `${freshDir()}:${bin}` }, platform: "linux" });
    expect(await probe("blender")).toEqual({
      input: "blender",
      path: join(bin, "blender"),
      source: "path_envvar",
      status: "found",
      version: "Blender 4.2.0",
    });
    const elsewhere = createBlenderProbe({ env: { PATH: freshDir() }, platform: "linux" });
    expect(await elsewhere("blender")).toEqual({
      input: "blender",
      path: "",
      source: "path_envvar",
      status: "missing",
    });
  });

  test("a name the PATH lookup cannot search for is a failure, not a thrown error", async () => {
    const probe = createBlenderProbe({ env: { PATH: freshDir() }, platform: "linux" });
    const lookup = await probe("b".repeat(4096));
    expect(lookup).toMatchObject({ path: "", source: "path_envvar" });
    expect(failureReason(lookup)).toMatch(/too long/);
  });

  test("auto-detection on Linux looks for `blender` on PATH", async () => {
    const bin = fakeExecutable(PRINTS_VERSION);
    const result = await createBlenderProbe({ env: { PATH: bin }, platform: "linux" })("");
    expect(result).toMatchObject({
      input: "blender",
      path: join(bin, "blender"),
      source: "path_envvar",
      status: "found",
    });
  });

  test("a folder gets the platform executable name appended", async () => {
    const linux = fakeExecutable(PRINTS_VERSION);
    expect(await createBlenderProbe({ env: {}, platform: "linux" })(linux)).toMatchObject({
      input: linux,
      path: join(linux, "blender"),
      source: "input_path",
      status: "found",
    });
    const mac = fakeExecutable(PRINTS_VERSION, "Blender");
    expect(await createBlenderProbe({ env: {}, platform: "darwin" })(mac)).toMatchObject({
      path: join(mac, "Blender"),
      status: "found",
    });
    const windows = await createBlenderProbe({ env: {}, platform: "windows" })(linux);
    expect(windows).toMatchObject({ path: join(linux, "blender.exe"), status: "failed" });
  });

  test("a file path is run as it is; a missing one is not found", async () => {
    const exe = join(fakeExecutable(PRINTS_VERSION, "blender-4.2"), "blender-4.2");
    const probe = createBlenderProbe({ env: {}, platform: "linux" });
    expect(await probe(exe)).toMatchObject({ input: exe, path: exe, source: "input_path", status: "found" });
    expect(await probe(join(freshDir(), "none", "blender"))).toMatchObject({
      source: "input_path",
      status: "missing",
    });
  });

  test("the version line may come on stderr after other output, indented", async () => {
    const bin = fakeExecutable('echo "Read prefs"\necho "   Blender 3.6.2 LTS" >&2');
    const result = await createBlenderProbe({ env: { PATH: bin }, platform: "linux" })("blender");
    expect(result).toMatchObject({ status: "found", version: "Blender 3.6.2 LTS" });
  });

  test("a program that is not Blender, fails, or cannot run is a failure with a reason", async () => {
    const probe = createBlenderProbe({ env: {}, platform: "linux" });
    const notBlender = join(fakeExecutable('echo "GIMP 2.10"'), "blender");
    expect(failureReason(await probe(notBlender))).toContain("not Blender");
    const failing = join(fakeExecutable('echo "Blender 4.2.0"\nexit 3'), "blender");
    expect(failureReason(await probe(failing))).toContain("status 3");
    const notExecutable = join(freshDir(), "blender");
    writeFileSync(notExecutable, '#!/bin/sh\necho "Blender 4.2.0"\n', { mode: 0o644 });
    expect(await probe(notExecutable)).toMatchObject({ status: "failed", path: notExecutable });
  });

  test("a version check that hangs is stopped at the time limit", async () => {
    const bin = fakeExecutable("exec /bin/sleep 20");
    const probe = createBlenderProbe({ env: { PATH: bin }, platform: "linux", versionTimeoutMs: 200 });
    const started = performance.now();
    const result = await probe("blender");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(failureReason(result)).toContain("longer than 0.2 s");
  });
});
