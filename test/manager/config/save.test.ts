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

describe("saving over an existing file", () => {
  const HAND_WRITTEN = [
    "# Our farm. Ask Ana before changing anything.",
    "variables:",
    "  blender:",
    "    values:",
    "      - platform: linux",
    "        value: /opt/blender/blender # 4.2 LTS",
    "task_timeout: 10m # long renders",
    "",
    "# Where the farm's files live.",
    "shared_storage_path: /srv/farm",
    "_meta:",
    "  version: 3",
    "manager_name: Studio # shown in the dashboard",
    "",
  ].join("\n");

  function handWritten(text = HAND_WRITTEN) {
    const dir = freshDir();
    const path = join(dir, "flamenco-manager.yaml");
    writeFileSync(path, text);
    return { dir, path, current: loadConfig({ cwd: dir, env: {}, platform: "linux" }) };
  }

  function save(
    current: ReturnType<typeof loadConfig>,
    dir: string,
    edit: (raw: Record<string, unknown>) => void,
  ) {
    const data = structuredClone(current.raw) as unknown as Record<string, unknown>;
    edit(data);
    const { file } = validateConfigFile(data, { label: "test", platform: "linux" });
    return saveManagerConfig(current, file, [], { cwd: dir, env: {}, writtenAt: WRITTEN_AT });
  }

  test("a changed value keeps every comment, the key order and the other values as written", () => {
    const { dir, path, current } = handWritten();
    const next = save(current, dir, (raw) => (raw.task_timeout = "2s"));
    expect(readFileSync(path, "utf8")).toBe(
      HAND_WRITTEN.replace("task_timeout: 10m #", "task_timeout: 2s #"),
    );
    expect(next.taskTimeoutMs).toBe(2000);
    expect(loadConfig({ cwd: dir, env: {}, platform: "linux" }).raw).toEqual(next.raw);
  });

  test("saving what was read leaves the file byte for byte", () => {
    const { dir, path, current } = handWritten();
    const before = statSync(path).mtimeMs;
    save(current, dir, () => {});
    expect(readFileSync(path, "utf8")).toBe(HAND_WRITTEN);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  test("new keys go at the end of their section in the documentation's order; removed keys go", () => {
    const { dir, path, current } = handWritten(`${HAND_WRITTEN}backup:\n  keep: 3 # a week\n`);
    save(current, dir, (raw) => {
      raw.mqtt = { client: { enabled: true, broker: "tcp://broker:1883", topic_prefix: "farm" } };
      raw.blocklist_threshold = 5;
      raw.backup = {};
    });
    const text = readFileSync(path, "utf8");
    expect(text).toStartWith(HAND_WRITTEN);
    expect(text.slice(HAND_WRITTEN.length)).toBe(
      [
        "backup: {}",
        "blocklist_threshold: 5",
        "mqtt:",
        "  client:",
        "    enabled: true",
        "    broker: tcp://broker:1883",
        "    topic_prefix: farm",
        "",
      ].join("\n"),
    );
    const loaded = loadConfig({ cwd: dir, env: {}, platform: "linux" });
    expect(loaded.mqtt).toMatchObject({ enabled: true, broker: "tcp://broker:1883", topicPrefix: "farm" });
    expect(loaded.blocklistThreshold).toBe(5);
  });

  test("a key written without a value, or a section left empty, gets the new value", () => {
    const { dir, path, current } = handWritten("_meta: {version: 3}\nmanager_name:\nmqtt: # later\n");
    save(current, dir, (raw) => {
      raw.manager_name = "Named";
      raw.mqtt = { client: { username: "farm" } };
    });
    const loaded = loadConfig({ cwd: dir, env: {}, platform: "linux" });
    expect(loaded.managerName).toBe("Named");
    expect(loaded.mqtt.username).toBe("farm");
    // The comment stays, at the head of the section that now has content.
    expect(readFileSync(path, "utf8")).toBe(
      "_meta: { version: 3 }\nmanager_name: Named\nmqtt:\n  # later\n  client:\n    username: farm\n",
    );
  });

  test("text that looks like a number or a flag is written so that it reads back as text", () => {
    const { dir, current } = handWritten();
    save(current, dir, (raw) => (raw.manager_name = "1.10"));
    expect(loadConfig({ cwd: dir, env: {}, platform: "linux" }).managerName).toBe("1.10");
  });

  test("a file that is no longer YAML is left alone with a ConfigError", () => {
    const { dir, path, current } = handWritten();
    writeFileSync(path, "manager_name: [unclosed\n");
    expect(() => save(current, dir, (raw) => (raw.manager_name = "Other"))).toThrow(ConfigError);
    expect(readFileSync(path, "utf8")).toBe("manager_name: [unclosed\n");
    expect(readdirSync(dir)).toEqual(["flamenco-manager.yaml"]);
  });
});
