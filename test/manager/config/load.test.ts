import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../../src/manager/config/errors";
import { configAsJson, loadConfig } from "../../../src/manager/config/load";
import { resolveVariables } from "../../../src/manager/config/variables";
import { DEFAULT_FLAMENCO_VERSION } from "../../../src/shared/version";
import { tempDirs } from "../../support/temp-dirs";
import { thrownBy } from "../../support/thrown";

const freshDir = tempDirs("tablao-config");

function writeConfig(dir: string, yaml: string, name = "flamenco-manager.yaml"): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

describe("no configuration file", () => {
  test("embedded defaults, first run, paths against the working directory", () => {
    const cwd = freshDir();
    const cfg = loadConfig({ cwd, env: {}, platform: "linux" });
    expect(cfg.configPath).toBeNull();
    expect(cfg.isFirstRun).toBe(true);
    expect(cfg.platform).toBe("linux");
    expect(cfg.managerName).toBe("Flamenco");
    expect(cfg.listen).toEqual({ hostname: "0.0.0.0", port: 8080 });
    expect(cfg.databasePath).toBe(join(cwd, "flamenco-manager.sqlite"));
    expect(cfg.storagePath).toBe(join(cwd, "flamenco-manager-storage"));
    expect(cfg.sharedStoragePath).toBe("");
    expect(cfg.scriptsDir).toBe(join(cwd, "scripts"));
    expect(cfg.taskTimeoutMs).toBe(600_000);
    expect(cfg.workerTimeoutMs).toBe(60_000);
    expect(cfg.databaseCheckPeriodMs).toBe(600_000);
    expect(cfg.blocklistThreshold).toBe(3);
    expect(cfg.taskFailAfterSoftfailCount).toBe(3);
    expect(cfg.autodiscoverable).toBe(true);
    expect(cfg.shaman).toEqual({ enabled: true, gcPeriodMs: 86_400_000, gcMaxAgeMs: 2_678_400_000 });
    expect(cfg.mqtt).toEqual({
      enabled: false,
      broker: "",
      clientID: "flamenco",
      topicPrefix: "flamenco",
      username: "",
      password: "",
    });
    expect(cfg.warnings).toEqual([]);
  });

  test("an explicitly named file that is missing is an error", () => {
    const cwd = freshDir();
    const err = thrownBy(ConfigError, () => loadConfig({ configPath: "custom.yaml", cwd, env: {} }));
    expect(err.message).toBe(
      `custom.yaml: configuration file not found (looked at ${join(cwd, "custom.yaml")})`,
    );
  });

  test("an unreadable path is an error, not a first run", () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, "flamenco-manager.yaml"));
    expect(() => loadConfig({ cwd, env: {} })).toThrow(
      "flamenco-manager.yaml: cannot read configuration file",
    );
  });
});

describe("configuration file", () => {
  test("the default file in the working directory is read", () => {
    const cwd = freshDir();
    writeConfig(cwd, "_meta: {version: 3}\nmanager_name: Studio Farm\nshared_storage_path: /srv/flamenco\n");
    const cfg = loadConfig({ cwd, env: {}, platform: "linux" });
    expect(cfg.configPath).toBe(join(cwd, "flamenco-manager.yaml"));
    expect(cfg.managerName).toBe("Studio Farm");
    expect(cfg.isFirstRun).toBe(false);
  });

  test("relative paths resolve against the file folder, not the working directory", () => {
    const cwd = freshDir();
    const confDir = join(cwd, "etc", "tablao");
    mkdirSync(confDir, { recursive: true });
    writeConfig(
      confDir,
      [
        "_meta:",
        "  version: 3",
        "database: db/farm.sqlite",
        "local_manager_storage_path: ./storage",
        "shared_storage_path: ../shared",
        "listen: 127.0.0.1:9090",
        "task_timeout: 5m",
        "shaman:",
        "  enabled: false",
      ].join("\n"),
      "tablao.yaml",
    );
    const cfg = loadConfig({ configPath: "etc/tablao/tablao.yaml", cwd, env: {}, platform: "linux" });
    expect(cfg.configPath).toBe(join(confDir, "tablao.yaml"));
    expect(cfg.databasePath).toBe(join(confDir, "db", "farm.sqlite"));
    expect(cfg.storagePath).toBe(join(confDir, "storage"));
    expect(cfg.sharedStoragePath).toBe(join(cwd, "etc", "shared"));
    expect(cfg.scriptsDir).toBe(join(confDir, "scripts"));
    expect(cfg.listen).toEqual({ hostname: "127.0.0.1", port: 9090 });
    expect(cfg.taskTimeoutMs).toBe(300_000);
    expect(cfg.shaman.enabled).toBe(false);
  });

  test("absolute paths and SQLite special names are kept", () => {
    const cwd = freshDir();
    writeConfig(
      cwd,
      '_meta: {version: 3}\ndatabase: ":memory:"\nlocal_manager_storage_path: /var/lib/tablao\n',
    );
    const cfg = loadConfig({ cwd, env: {} });
    expect(cfg.databasePath).toBe(":memory:");
    expect(cfg.storagePath).toBe("/var/lib/tablao");
  });

  test("unquoted YAML scalars reach text settings verbatim, and empty keys take defaults", () => {
    const cwd = freshDir();
    writeConfig(
      cwd,
      [
        "_meta: {version: 3}",
        "manager_name: 1.10",
        "task_timeout: 0",
        "worker_timeout:",
        "autodiscoverable: false",
        "blocklist_threshold: 5",
        "mqtt:",
        "  client:",
        "    queue_size: 500",
        "variables:",
        "  threads:",
        "    values:",
        "      - platform: all",
        "        value: 08",
      ].join("\n"),
    );
    const cfg = loadConfig({ cwd, env: {}, platform: "linux" });
    expect(cfg.managerName).toBe("1.10");
    expect(cfg.taskTimeoutMs).toBe(0);
    expect(cfg.workerTimeoutMs).toBe(60_000);
    expect(cfg.autodiscoverable).toBe(false);
    expect(cfg.blocklistThreshold).toBe(5);
    expect(cfg.mqtt.queueSize).toBe(500);
    expect(resolveVariables(cfg, "workers", "linux").threads).toEqual({ value: "08", is_twoway: false });
  });

  test("a bad value stops loading with the file, key and problem", () => {
    const cwd = freshDir();
    writeConfig(cwd, "_meta: {version: 3}\ntask_timeout: ten minutes\n");
    const err = thrownBy(ConfigError, () => loadConfig({ cwd, env: {} }));
    expect(err.key).toBe("task_timeout");
    expect(err.message).toBe(
      'flamenco-manager.yaml: task_timeout: invalid duration "ten minutes" (use Go syntax such as 10m0s)',
    );
  });

  test("a number where a duration string belongs is refused", () => {
    const cwd = freshDir();
    writeConfig(cwd, "_meta: {version: 3}\nworker_timeout: 60\n");
    expect(() => loadConfig({ cwd, env: {} })).toThrow(
      'flamenco-manager.yaml: worker_timeout: invalid duration "60"',
    );
  });

  test("an unknown version stops loading", () => {
    const cwd = freshDir();
    writeConfig(cwd, "_meta:\n  version: 4\n");
    const err = thrownBy(ConfigError, () => loadConfig({ cwd, env: {} }));
    expect(err.key).toBe("_meta.version");
    expect(err.message).toContain('unsupported version "4"');
  });

  test("an empty file has no version and stops loading", () => {
    const cwd = freshDir();
    writeConfig(cwd, "# nothing yet\n");
    expect(() => loadConfig({ cwd, env: {} })).toThrow("flamenco-manager.yaml: _meta.version: missing");
  });

  test("broken YAML stops loading with the parser position", () => {
    const cwd = freshDir();
    writeConfig(cwd, "_meta: {version: 3}\nlisten: [:8080\nmanager_name: x\n");
    expect(() => loadConfig({ cwd, env: {} })).toThrow(
      /^flamenco-manager\.yaml: invalid YAML: .*line 3, column 1/,
    );
  });

  test("duplicate keys are refused", () => {
    const cwd = freshDir();
    writeConfig(cwd, '_meta: {version: 3}\nlisten: ":1"\nlisten: ":2"\n');
    expect(() => loadConfig({ cwd, env: {} })).toThrow(
      "flamenco-manager.yaml: invalid YAML: Map keys must be unique",
    );
  });

  test("unknown keys stop loading, all of them named with the file", () => {
    const cwd = freshDir();
    writeConfig(
      cwd,
      "_meta: {version: 3}\nmanagr_name: typo\nmqtt:\n  client:\n    topicprefix: x\n",
      "studio.yaml",
    );
    const err = thrownBy(ConfigError, () => loadConfig({ configPath: "studio.yaml", cwd, env: {} }));
    expect(err.key).toBe("mqtt.client.topicprefix");
    expect(err.message).toBe(
      [
        'studio.yaml: mqtt.client.topicprefix: unknown key (did you mean "topic_prefix"?)',
        'studio.yaml: managr_name: unknown key (did you mean "manager_name"?)',
      ].join("\n"),
    );
  });

  test("YAML 1.1 booleans in boolean settings; the same words in text settings stay text", () => {
    const cwd = freshDir();
    writeConfig(
      cwd,
      [
        "_meta: {version: 3}",
        "autodiscoverable: no",
        "shaman:",
        "  enabled: Off",
        "mqtt:",
        "  client:",
        "    enabled: yes",
        "    broker: tcp://broker:1883",
        "    username: yes",
        "manager_name: ON",
        "variables:",
        "  answer:",
        "    is_twoway: y",
        "    values:",
        "      - platform: all",
        "        value: yes",
      ].join("\n"),
    );
    const cfg = loadConfig({ cwd, env: {}, platform: "linux" });
    expect(cfg.autodiscoverable).toBe(false);
    expect(cfg.shaman.enabled).toBe(false);
    expect(cfg.mqtt.enabled).toBe(true);
    expect(cfg.mqtt.username).toBe("yes");
    expect(cfg.managerName).toBe("ON");
    expect(resolveVariables(cfg, "users", "linux").answer).toEqual({ value: "yes", is_twoway: true });
    // Written back (configAsJson is what a save writes) as real booleans.
    expect(configAsJson(cfg).autodiscoverable).toBe(false);
  });

  test("a bare port in listen, as a YAML number or text, listens on every interface", () => {
    for (const listen of ["18620", '"18620"']) {
      const cwd = freshDir();
      writeConfig(cwd, `_meta: {version: 3}\nlisten: ${listen}\n`);
      const cfg = loadConfig({ cwd, env: {} });
      expect(cfg.listen).toEqual({ hostname: "0.0.0.0", port: 18620 });
      expect(configAsJson(cfg).listen).toBe(":18620");
    }
  });

  test("flamenco_version: the default without the key; an unquoted YAML number keeps its text", () => {
    const cwd = freshDir();
    expect(loadConfig({ cwd, env: {} }).flamencoVersion).toBe(DEFAULT_FLAMENCO_VERSION);
    writeConfig(cwd, "_meta: {version: 3}\nflamenco_version: 3.10\n");
    expect(loadConfig({ cwd, env: {} }).flamencoVersion).toBe("3.10");
    writeConfig(cwd, "_meta: {version: 3}\nflamenco_version: 3.9-beta1\n");
    expect(loadConfig({ cwd, env: {} }).flamencoVersion).toBe("3.9-beta1");
  });

  test("MQTT settings: client ID trimmed, empty falls back to flamenco", () => {
    const cwd = freshDir();
    writeConfig(
      cwd,
      [
        "_meta: {version: 3}",
        "mqtt:",
        "  client:",
        "    enabled: true",
        '    broker: " tcp://broker:1883 "',
        '    clientID: "  "',
        '    topic_prefix: ""',
        "    username: u",
        "    password: p",
      ].join("\n"),
    );
    expect(loadConfig({ cwd, env: {} }).mqtt).toEqual({
      enabled: true,
      broker: "tcp://broker:1883",
      clientID: "flamenco",
      topicPrefix: "",
      username: "u",
      password: "p",
    });
  });
});

describe("environment overrides", () => {
  function loadWithEnv(env: Record<string, string | undefined>) {
    const cwd = freshDir();
    const confDir = join(cwd, "conf");
    mkdirSync(confDir);
    writeConfig(
      confDir,
      "_meta: {version: 3}\nlisten: 127.0.0.1:9000\ndatabase: file.sqlite\nlocal_manager_storage_path: st\n",
    );
    return { cwd, confDir, cfg: loadConfig({ configPath: "conf/flamenco-manager.yaml", cwd, env }) };
  }

  test("without environment the file wins over defaults", () => {
    const { confDir, cfg } = loadWithEnv({});
    expect(cfg.listen).toEqual({ hostname: "127.0.0.1", port: 9000 });
    expect(cfg.databasePath).toBe(join(confDir, "file.sqlite"));
    expect(cfg.storagePath).toBe(join(confDir, "st"));
  });

  test("environment wins over the file; relative values resolve against the working directory", () => {
    const { cwd, cfg } = loadWithEnv({
      TABLAO_LISTEN: "[::1]:7000",
      TABLAO_DATABASE: "env.sqlite",
      TABLAO_STORAGE: "/abs/storage",
    });
    expect(cfg.listen).toEqual({ hostname: "::1", port: 7000 });
    expect(cfg.databasePath).toBe(join(cwd, "env.sqlite"));
    expect(cfg.storagePath).toBe("/abs/storage");
  });

  test("TABLAO_LISTEN may be a bare port", () => {
    expect(loadWithEnv({ TABLAO_LISTEN: "18620" }).cfg.listen).toEqual({ hostname: "0.0.0.0", port: 18620 });
  });

  test("PORT replaces only the port, also after TABLAO_LISTEN", () => {
    expect(loadWithEnv({ PORT: "1234" }).cfg.listen).toEqual({ hostname: "127.0.0.1", port: 1234 });
    expect(loadWithEnv({ TABLAO_LISTEN: "localhost:1", PORT: "2" }).cfg.listen).toEqual({
      hostname: "localhost",
      port: 2,
    });
  });

  test("empty environment values are ignored", () => {
    expect(loadWithEnv({ PORT: "", TABLAO_LISTEN: "  " }).cfg.listen).toEqual({
      hostname: "127.0.0.1",
      port: 9000,
    });
  });

  test("the file view does not show environment overrides", () => {
    expect(configAsJson(loadWithEnv({ PORT: "1234" }).cfg).listen).toBe("127.0.0.1:9000");
  });

  test.each([
    ["PORT", "eighty", 'environment: PORT: invalid port "eighty"'],
    ["TABLAO_LISTEN", "::1:80", 'environment: TABLAO_LISTEN: invalid listen address "::1:80"'],
  ])("a bad %s names the variable", (name, value, message) => {
    const err = thrownBy(ConfigError, () => loadWithEnv({ [name]: value }));
    expect(err.key).toBe(name);
    expect(err.message).toStartWith(message);
  });
});

describe("configAsJson", () => {
  test("YAML keys, Go durations, _meta version 3, configured variables only", () => {
    const cwd = freshDir();
    writeConfig(
      cwd,
      [
        "_meta: {version: 3}",
        "task_timeout: 90s",
        "shared_storage_path: /srv/shared",
        "variables:",
        "  render:",
        "    is_twoway: true",
        "    values:",
        "      - platform: linux",
        "        value: /render",
      ].join("\n"),
    );
    const cfg = loadConfig({ cwd, env: {}, platform: "linux" });
    const json = configAsJson(cfg);
    expect(json._meta).toEqual({ version: 3 });
    expect(json.task_timeout).toBe("1m30s");
    expect(json.worker_timeout).toBe("1m0s");
    expect(json.shaman).toEqual({ enabled: true, garbageCollect: { period: "24h0m0s", maxAge: "744h0m0s" } });
    expect(Object.keys(json.variables as object).sort()).toEqual(["blender", "blenderArgs", "render"]);
    expect((json.variables as Record<string, unknown>).render).toEqual({
      is_twoway: true,
      values: [{ audience: "all", platform: "linux", value: "/render" }],
    });
    // A copy: editing it must not change the loaded configuration.
    (json._meta as { version: number }).version = 0;
    expect(cfg.raw._meta.version).toBe(3);
  });
});
