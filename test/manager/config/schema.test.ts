import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../src/manager/config/errors";
import { DEFAULT_VARIABLES, validateConfigFile } from "../../../src/manager/config/schema";
import { thrownBy } from "../../support/thrown";

const LABEL = "flamenco-manager.yaml";

function validate(settings: Record<string, unknown>, platform = "linux") {
  return validateConfigFile({ _meta: { version: 3 }, ...settings }, { label: LABEL, platform });
}

describe("defaults", () => {
  test("an empty version-3 document gets every Flamenco default", () => {
    const { file, warnings } = validate({});
    expect(warnings).toEqual([]);
    expect(file).toEqual({
      _meta: { version: 3 },
      manager_name: "Flamenco",
      database: "flamenco-manager.sqlite",
      database_check_period: "10m0s",
      listen: ":8080",
      autodiscoverable: true,
      local_manager_storage_path: "./flamenco-manager-storage",
      shared_storage_path: "",
      shaman: { enabled: true, garbageCollect: { period: "24h0m0s", maxAge: "744h0m0s" } },
      task_timeout: "10m0s",
      worker_timeout: "1m0s",
      blocklist_threshold: 3,
      task_fail_after_softfail_count: 3,
      mqtt: {
        client: {
          enabled: false,
          broker: "",
          clientID: "flamenco",
          topic_prefix: "flamenco",
          username: "",
          password: "",
        },
      },
      variables: DEFAULT_VARIABLES,
    });
  });

  test("Shaman defaults to off on Windows, and an explicit value wins", () => {
    expect(validate({}, "windows").file.shaman.enabled).toBe(false);
    expect(validate({ shaman: { enabled: true } }, "windows").file.shaman.enabled).toBe(true);
  });

  test("nested sections merge with their defaults", () => {
    const { file } = validate({
      mqtt: { client: { broker: "tcp://b:1883" } },
      shaman: { garbageCollect: { period: "1h" } },
    });
    expect(file.mqtt.client).toMatchObject({
      broker: "tcp://b:1883",
      clientID: "flamenco",
      topic_prefix: "flamenco",
    });
    expect(file.shaman.garbageCollect).toEqual({ period: "1h0m0s", maxAge: "744h0m0s" });
  });

  test("durations are stored canonically", () => {
    expect(
      validate({ task_timeout: "10m", worker_timeout: "90s", database_check_period: "0" }).file,
    ).toMatchObject({
      task_timeout: "10m0s",
      worker_timeout: "1m30s",
      database_check_period: "0s",
    });
  });

  test("configured variables replace defaults of the same name; other defaults remain", () => {
    const { file } = validate({
      variables: { blender: { values: [{ platform: "linux", value: "/opt/blender/blender" }] } },
    });
    expect(file.variables.blender).toEqual({
      values: [{ audience: "all", platform: "linux", value: "/opt/blender/blender" }],
    });
    expect(file.variables.blenderArgs).toEqual(DEFAULT_VARIABLES.blenderArgs);
  });

  test("is_twoway is kept only when true, as Flamenco writes it", () => {
    const { file } = validate({
      variables: {
        a: { is_twoway: true, values: [{ platform: "all", value: "/a" }] },
        b: { is_twoway: false, values: [{ platform: "all", value: "b" }] },
      },
    });
    const { a, b } = file.variables;
    expect(a?.is_twoway).toBe(true);
    expect(b).toBeDefined();
    expect(b && "is_twoway" in b).toBe(false);
  });
});

describe("version", () => {
  test("a missing _meta.version is refused", () => {
    const err = thrownBy(ConfigError, () =>
      validateConfigFile({ manager_name: "x" }, { label: LABEL, platform: "linux" }),
    );
    expect(err.key).toBe("_meta.version");
    expect(err.message).toStartWith("flamenco-manager.yaml: _meta.version: missing");
  });

  test("another version is refused before anything else is checked", () => {
    const err = thrownBy(ConfigError, () =>
      validateConfigFile(
        { _meta: { version: 2 }, task_timeout: "bogus" },
        { label: LABEL, platform: "linux" },
      ),
    );
    expect(err.key).toBe("_meta.version");
    expect(err.message).toBe(
      "flamenco-manager.yaml: _meta.version: unsupported version 2 (only version 3 is supported)",
    );
  });

  test("the version may arrive as YAML text", () => {
    expect(
      validateConfigFile({ _meta: { version: "3" } }, { label: LABEL, platform: "linux" }).file._meta.version,
    ).toBe(3);
  });

  test("a top level that is not a mapping is refused", () => {
    expect(() => validateConfigFile(["a"], { label: LABEL, platform: "linux" })).toThrow(
      "flamenco-manager.yaml: expected a mapping of settings at the top level, got a list",
    );
  });
});

describe("validation errors name the key", () => {
  test.each([
    [
      { task_timeout: "ten minutes" },
      "task_timeout",
      'invalid duration "ten minutes" (use Go syntax such as 10m0s)',
    ],
    [
      { worker_timeout: 60 },
      "worker_timeout",
      "invalid duration 60 (must be a string in Go syntax such as 10m0s)",
    ],
    [{ worker_timeout: "-1m" }, "worker_timeout", 'duration "-1m" must not be negative'],
    [{ database_check_period: "" }, "database_check_period", 'invalid duration ""'],
    [
      { shaman: { garbageCollect: { maxAge: "31d" } } },
      "shaman.garbageCollect.maxAge",
      'invalid duration "31d"',
    ],
    [{ listen: "::1:8080" }, "listen", "IPv6 addresses need brackets"],
    [{ database: "   " }, "database", "must not be empty"],
    [{ manager_name: ["a"] }, "manager_name", "expected text, got a list"],
    [
      { autodiscoverable: "maybe" },
      "autodiscoverable",
      'expected true or false (yes/no, on/off and y/n also work), got "maybe"',
    ],
    [{ autodiscoverable: "yEs" }, "autodiscoverable", 'got "yEs"'],
    [{ autodiscoverable: 1 }, "autodiscoverable", "got 1"],
    [{ listen: true }, "listen", "expected text or a port number, got true"],
    [{ listen: "70000" }, "listen", 'invalid port "70000"'],
    [{ blocklist_threshold: 0 }, "blocklist_threshold", "expected a whole number of at least 1, got 0"],
    [
      { task_fail_after_softfail_count: "2.5" },
      "task_fail_after_softfail_count",
      'expected a whole number of at least 1, got "2.5"',
    ],
    [{ shared_storage_path: "\\\\nas\\render" }, "shared_storage_path", "UNC paths"],
    [{ mqtt: { client: { enabled: true } } }, "mqtt.client.broker", "required when enabled is true"],
    [
      { mqtt: { client: { enabled: true, broker: "http://x" } } },
      "mqtt.client.broker",
      'invalid broker URL "http://x"',
    ],
    [{ mqtt: "yes" }, "mqtt", 'expected a mapping, got "yes"'],
    [
      { variables: { x: { values: [{ value: "v" }] } } },
      "variables.x.values[0]",
      'no "platform" or "platforms"',
    ],
    [
      { variables: { x: { values: [{ platform: "linux", audience: "admins" }] } } },
      "variables.x.values[0].audience",
      'expected all, workers or users, got "admins"',
    ],
    [
      { variables: { x: { values: [{ platforms: ["linux", ""] }] } } },
      "variables.x.values[0].platforms[1]",
      "platform names must not be empty",
    ],
    [{ variables: { x: { values: "linux" } } }, "variables.x.values", 'expected a list, got "linux"'],
    [
      { variables: { "a{b}": { values: [] } } },
      "variables.a{b}",
      "variable names must be non-empty and contain no { or }",
    ],
  ])("%j → %s", (settings, key, problem) => {
    const err = thrownBy(ConfigError, () => validate(settings));
    expect(err.key).toBe(key);
    expect(err.message).toStartWith(`flamenco-manager.yaml: ${key}: `);
    expect(err.message).toContain(problem);
  });

  test("every problem is listed, one per line", () => {
    const err = thrownBy(ConfigError, () => validate({ task_timeout: "x", listen: "" }));
    expect(err.message.split("\n")).toHaveLength(2);
  });

  test("a disabled MQTT client may keep an unusable broker", () => {
    expect(
      validate({ mqtt: { client: { enabled: false, broker: "nonsense" } } }).file.mqtt.client.broker,
    ).toBe("nonsense");
  });
});

describe("unknown keys", () => {
  test("a misspelt top-level key is refused with the key it was meant to be", () => {
    const err = thrownBy(ConfigError, () => validate({ worker_timout: "1m" }));
    expect(err.key).toBe("worker_timout");
    expect(err.message).toBe(
      'flamenco-manager.yaml: worker_timout: unknown key (did you mean "worker_timeout"?)',
    );
  });

  test.each([
    [{ Manager_Name: "x" }, "Manager_Name", "manager_name"],
    [{ mqtt: { client: { enabeld: true } } }, "mqtt.client.enabeld", "enabled"],
    [{ mqtt: { client: { clientId: "x" } } }, "mqtt.client.clientId", "clientID"],
    [{ mqtt: { clinet: {} } }, "mqtt.clinet", "client"],
    [{ shaman: { enable: false } }, "shaman.enable", "enabled"],
    [{ shaman: { garbageCollect: { max_age: "1h" } } }, "shaman.garbageCollect.max_age", "maxAge"],
    [{ auth: { trusted_network: {} } }, "auth.trusted_network", "trusted_networks"],
    [{ backup: { kep: 3 } }, "backup.kep", "keep"],
    [{ variables: { x: { is_two_way: true, values: [] } } }, "variables.x.is_two_way", "is_twoway"],
    [
      { variables: { x: { values: [{ platfrom: "linux", platform: "all", value: "v" }] } } },
      "variables.x.values[0].platfrom",
      "platform",
    ],
    [{ _meta: { version: 3, vresion: 3 } }, "_meta.vresion", "version"],
  ])("%j → %s, did you mean %s", (settings, key, meant) => {
    const err = thrownBy(ConfigError, () => validate(settings));
    expect(err.key).toBe(key);
    expect(err.message).toBe(`flamenco-manager.yaml: ${key}: unknown key (did you mean "${meant}"?)`);
  });

  test("far from every key: no guess; a small level lists its keys", () => {
    const err = thrownBy(ConfigError, () =>
      validate({ colour: "blue", backup: { retention: 3 }, mqtt: { client: { qos: 2 } } }),
    );
    expect(err.message.split("\n")).toEqual([
      "flamenco-manager.yaml: mqtt.client.qos: unknown key (the keys here are enabled, broker, clientID, topic_prefix, username, password, queue_size)",
      "flamenco-manager.yaml: backup.retention: unknown key (the keys here are period, keep, path)",
      "flamenco-manager.yaml: colour: unknown key",
    ]);
  });

  test("every unknown key and every bad value of the file is reported at once", () => {
    const err = thrownBy(ConfigError, () =>
      validate({
        worker_timout: "1m",
        task_timeout: "soon",
        mqtt: { client: { brokr: "tcp://b:1883" } },
        variables: { x: { values: [{ platform: "all", value: "v", comment: "hi" }] } },
      }),
    );
    const lines = err.message.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines).toContain(
      'flamenco-manager.yaml: task_timeout: invalid duration "soon" (use Go syntax such as 10m0s)',
    );
    expect(lines).toContain('flamenco-manager.yaml: mqtt.client.brokr: unknown key (did you mean "broker"?)');
    expect(lines).toContain(
      "flamenco-manager.yaml: variables.x.values[0].comment: unknown key (the keys here are audience, platform, platforms, value)",
    );
    expect(lines).toContain(
      'flamenco-manager.yaml: worker_timout: unknown key (did you mean "worker_timeout"?)',
    );
  });

  test("names in a mapping of the user's own (variables, networks) are not keys", () => {
    const { file } = validate({
      variables: { worker_timout: { values: [{ platform: "all", value: "v" }] } },
      auth: { trusted_networks: { "10.1.0.0/16": "viewer" } },
    });
    expect(file.variables.worker_timout?.values[0]?.value).toBe("v");
    expect(file.auth?.trusted_networks).toEqual({ "10.1.0.0/16": "viewer" });
  });
});

describe("booleans", () => {
  // gopkg.in/yaml.v2, Flamenco's YAML reader: YAML 1.1 words, lower case, capitalised or upper case.
  const TRUE_WORDS = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"];
  const FALSE_WORDS = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"];

  test.each(TRUE_WORDS)("%p is true in every boolean setting", (word) => {
    const { file } = validate({
      autodiscoverable: word,
      shaman: { enabled: word },
      mqtt: { client: { enabled: word, broker: "tcp://b:1883" } },
      variables: { x: { is_twoway: word, values: [{ platform: "all", value: "/x" }] } },
    });
    expect(file.autodiscoverable).toBe(true);
    expect(file.shaman.enabled).toBe(true);
    expect(file.mqtt.client.enabled).toBe(true);
    expect(file.variables.x?.is_twoway).toBe(true);
  });

  test.each(FALSE_WORDS)("%p is false in every boolean setting", (word) => {
    const { file } = validate(
      {
        autodiscoverable: word,
        shaman: { enabled: word },
        mqtt: { client: { enabled: word } },
        variables: { x: { is_twoway: word, values: [{ platform: "all", value: "/x" }] } },
      },
      "linux",
    );
    expect(file.autodiscoverable).toBe(false);
    expect(file.shaman.enabled).toBe(false);
    expect(file.mqtt.client.enabled).toBe(false);
    expect(file.variables.x && "is_twoway" in file.variables.x).toBe(false);
  });

  test("JSON booleans are taken as they are", () => {
    expect(validate({ autodiscoverable: false }).file.autodiscoverable).toBe(false);
  });

  test("in text settings the words stay text", () => {
    const { file } = validate({
      manager_name: "yes",
      mqtt: { client: { username: "on", password: "No" } },
      variables: { answer: { values: [{ platform: "all", value: "yes" }] } },
    });
    expect(file.manager_name).toBe("yes");
    expect(file.mqtt.client.username).toBe("on");
    expect(file.mqtt.client.password).toBe("No");
    expect(file.variables.answer?.values[0]?.value).toBe("yes");
  });
});

describe("listen", () => {
  test.each([
    ["18620", ":18620"],
    [18620, ":18620"],
    [" 9000 ", ":9000"],
    ["127.0.0.1:8080", "127.0.0.1:8080"],
    ["localhost", "localhost"],
  ])("%j is kept as %p", (listen, stored) => {
    expect(validate({ listen }).file.listen).toBe(stored);
  });
});

describe("flamenco_version", () => {
  test("absent unless configured, so a saved file does not pin the default", () => {
    expect("flamenco_version" in validate({}).file).toBe(false);
  });

  test.each(["3.8", "3.8.2", "3.9-beta1", "3.9-alpha6", "3.10-rc2", "4.0"])("%p is accepted", (version) => {
    expect(validate({ flamenco_version: version }).file.flamenco_version).toBe(version);
  });

  test.each([
    ["3", '"3"'],
    ["v3.8", '"v3.8"'],
    ["3.9-beta", '"3.9-beta"'],
    ["3.9 beta1", '"3.9 beta1"'],
    ["3.9-dev1", '"3.9-dev1"'],
    ["", '""'],
    ["3.8.2\n", '"3.8.2\\n"'],
  ])("%p is refused", (version, shown) => {
    const err = thrownBy(ConfigError, () => validate({ flamenco_version: version }));
    expect(err.key).toBe("flamenco_version");
    expect(err.message).toBe(
      `flamenco-manager.yaml: flamenco_version: invalid version ${shown} (use a Flamenco version such as 3.8, 3.8.2 or 3.9-beta1: numbers with dots, optionally followed by -alphaN, -betaN or -rcN)`,
    );
  });

  test("a number is refused: 3.10 and 3.1 would be the same number", () => {
    const err = thrownBy(ConfigError, () => validate({ flamenco_version: 3.1 }));
    expect(err.message).toBe("flamenco-manager.yaml: flamenco_version: expected text, got 3.1");
  });
});

describe("warnings", () => {
  test("a configured variable named like an implicit one is dropped with a warning", () => {
    const { file, warnings } = validate({
      variables: { jobs: { values: [{ platform: "all", value: "/x" }] } },
    });
    expect(file.variables.jobs).toBeUndefined();
    expect(warnings).toEqual([
      'flamenco-manager.yaml: variables.jobs: ignored, "jobs" is set by the Manager itself',
    ]);
  });

  test("both platform and platforms are merged with a warning", () => {
    const { file, warnings } = validate({
      variables: { x: { values: [{ platform: "linux", platforms: ["darwin"], value: "v" }] } },
    });
    expect(file.variables.x?.values[0]).toEqual({
      audience: "all",
      platforms: ["darwin", "linux"],
      value: "v",
    });
    expect(warnings[0]).toContain('variables.x.values[0]: both "platform" and "platforms"');
  });

  test("empty blender values warn, naming the platforms", () => {
    const { warnings } = validate({
      variables: {
        blender: {
          values: [
            { platform: "linux", value: "blender" },
            { platforms: ["windows", "darwin"], value: "" },
          ],
        },
      },
    });
    expect(warnings).toEqual([
      "flamenco-manager.yaml: variables.blender: no value for windows, darwin; Blender cannot run there",
    ]);
  });
});
