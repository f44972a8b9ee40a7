import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../../src/manager/config/errors";
import { loadConfig } from "../../../src/manager/config/load";
import {
  CONFIG_FILE_MODE,
  configFilePath,
  configFileText,
  saveManagerConfig,
  writeConfigFile,
} from "../../../src/manager/config/save";
import { validateConfigFile } from "../../../src/manager/config/schema";
import { tempDirs } from "../../support/temp-dirs";

const freshDir = tempDirs("tablao-config-save");

const WRITTEN_AT = new Date("2024-05-06T07:08:09.000Z");

function validated(settings: Record<string, unknown>) {
  return validateConfigFile({ _meta: { version: 3 }, ...settings }, { label: "test", platform: "linux" })
    .file;
}

describe("configFileText", () => {
  test("comment header with product and time, then keys in documentation order and variables sorted", () => {
    const file = validated({
      manager_name: "Studio farm",
      variables: {
        zeta: { values: [{ platform: "all", value: "z" }] },
        alpha: { is_twoway: true, values: [{ platforms: ["linux", "darwin"], value: "/mnt/a" }] },
      },
    });
    const text = configFileText(file, WRITTEN_AT);
    const lines = text.split("\n");
    expect(lines[0]).toStartWith("# Configuration of tablao");
    expect(lines[2]).toContain("2024-05-06T07:08:09.000Z");
    expect(lines[3]).toBe("_meta:");
    const topKeys = lines.filter((l) => /^[a-z_]+:/.test(l)).map((l) => l.slice(0, l.indexOf(":")));
    expect(topKeys).toEqual([
      "_meta",
      "manager_name",
      "database",
      "database_check_period",
      "listen",
      "autodiscoverable",
      "local_manager_storage_path",
      "shared_storage_path",
      "shaman",
      "task_timeout",
      "worker_timeout",
      "blocklist_threshold",
      "task_fail_after_softfail_count",
      "mqtt",
      "variables",
    ]);
    const variableNames = lines.filter(
      (l) => /^ {2}[A-Za-z]+:$/.test(l) && text.indexOf(l) > text.indexOf("variables:"),
    );
    expect(variableNames.map((l) => l.trim())).toEqual(["alpha:", "blender:", "blenderArgs:", "zeta:"]);
    expect(text).toContain("platforms: [ linux, darwin ]");
    expect(text).toContain("shaman:\n  enabled: true\n  garbageCollect:");
  });

  test("what is written loads back to the same settings, including text that looks like a number", () => {
    const dir = freshDir();
    const file = validated({
      manager_name: "1.10",
      shared_storage_path: "/srv/flamenco",
      task_timeout: "15m",
      mqtt: { client: { enabled: true, broker: "tcp://broker:1883", password: "yes" } },
      variables: { storage: { is_twoway: true, values: [{ platform: "windows", value: "S:\\" }] } },
    });
    writeFileSync(join(dir, "flamenco-manager.yaml"), configFileText(file, WRITTEN_AT));
    const loaded = loadConfig({ cwd: dir, env: {}, platform: "linux" });
    expect(loaded.raw).toEqual(file);
    expect(loaded.managerName).toBe("1.10");
    expect(loaded.mqtt.password).toBe("yes");
  });
});

describe("writeConfigFile", () => {
  test("replaces the file, owner-only, and leaves no temporary file", () => {
    const dir = freshDir();
    const path = join(dir, "flamenco-manager.yaml");
    writeFileSync(path, "old content", { mode: 0o644 });
    // A leftover from an interrupted write, with a too-open mode.
    writeFileSync(`${path}~`, "stale", { mode: 0o644 });
    writeConfigFile(path, validated({ manager_name: "New" }), WRITTEN_AT);
    expect(readFileSync(path, "utf8")).toContain("manager_name: New");
    expect(statSync(path).mode & 0o777).toBe(CONFIG_FILE_MODE);
    expect(readdirSync(dir)).toEqual(["flamenco-manager.yaml"]);
  });

  test("a failing rename keeps the old target and removes the temporary file", () => {
    const dir = freshDir();
    const path = join(dir, "occupied");
    mkdirSync(path);
    writeFileSync(join(path, "inside"), "keep me");
    expect(() => writeConfigFile(path, validated({}), WRITTEN_AT)).toThrow();
    expect(readFileSync(join(path, "inside"), "utf8")).toBe("keep me");
    expect(existsSync(`${path}~`)).toBe(false);
  });
});

describe("saveManagerConfig", () => {
  test("a first run writes flamenco-manager.yaml in the working directory and keeps platform and env overrides", () => {
    const cwd = freshDir();
    const current = loadConfig({ cwd, env: {}, platform: "windows" });
    expect(configFilePath(current, cwd)).toBe(join(cwd, "flamenco-manager.yaml"));
    const next = saveManagerConfig(current, validated({ shared_storage_path: "shared" }), ["a warning"], {
      cwd,
      env: { PORT: "9191" },
      writtenAt: WRITTEN_AT,
    });
    expect(next.configPath).toBe(join(cwd, "flamenco-manager.yaml"));
    expect(next.platform).toBe("windows");
    expect(next.listen.port).toBe(9191);
    expect(next.sharedStoragePath).toBe(join(cwd, "shared"));
    expect(next.isFirstRun).toBe(false);
    expect(next.warnings).toEqual(["a warning"]);
    expect(loadConfig({ cwd, env: {}, platform: "windows" }).sharedStoragePath).toBe(join(cwd, "shared"));
  });

  test("writes to the file the configuration came from", () => {
    const dir = freshDir();
    const path = join(dir, "custom.yaml");
    writeFileSync(path, "_meta: {version: 3}\nmanager_name: Before\n");
    const current = loadConfig({ cwd: freshDir(), configPath: path, env: {}, platform: "linux" });
    saveManagerConfig(current, validated({ manager_name: "After" }), [], {
      cwd: dir,
      env: {},
      writtenAt: WRITTEN_AT,
    });
    expect(readFileSync(path, "utf8")).toContain("manager_name: After");
    expect(existsSync(join(dir, "flamenco-manager.yaml"))).toBe(false);
  });

  test("a bad environment override stops it before anything is written", () => {
    const cwd = freshDir();
    const current = loadConfig({ cwd, env: {}, platform: "linux" });
    expect(() =>
      saveManagerConfig(current, validated({}), [], { cwd, env: { PORT: "eighty" }, writtenAt: WRITTEN_AT }),
    ).toThrow(ConfigError);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
