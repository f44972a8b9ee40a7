// The configuration-editing operations (src/manager/api/handlers/config.ts) on a real Hono app, with
// configuration files in temporary folders and a fake `blender` script on a private PATH.
import { describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { MQTT_PASSWORD_PLACEHOLDER, configHandlers } from "../../../src/manager/api/handlers/config";
import { registerHandlers } from "../../../src/manager/api/handlers/registry";
import { createApiApp } from "../../../src/manager/api/http";
import {
  loadConfig,
  resolveVariables,
  type ConfigFile,
  type ManagerConfig,
} from "../../../src/manager/config";
import { createBlenderProbe } from "../../../src/manager/config/blender-check";
import type { Schemas } from "../../../src/worker/client";
import { tempDirs } from "../../support/temp-dirs";

const freshDir = tempDirs("tablao-config-api");

/** The JSON answer, as the shape the test expects; the test checks the fields it reads. */
async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const WRITTEN_AT = new Date("2024-05-06T07:08:09.000Z");
const CONFIG_FILE = "flamenco-manager.yaml";

const BLENDER_VERSION_SCRIPT = 'echo "Blender 4.2.0"\necho "\tbuild hash: abc"';

/** Writes an executable script `dir/name` with the given body; returns its path. */
function fakeBlender(dir: string, name = "blender", body = BLENDER_VERSION_SCRIPT): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
  return join(dir, name);
}

/** A folder holding an executable `blender` script with the given body. */
function fakeBlenderDir(body = BLENDER_VERSION_SCRIPT): string {
  const dir = freshDir();
  fakeBlender(dir, "blender", body);
  return dir;
}

interface Setup {
  yaml?: string;
  env?: Record<string, string>;
  /** PATH seen by the Blender lookup; an empty folder unless given. */
  path?: string;
  platform?: string;
}

function manager(setup: Setup = {}) {
  const cwd = freshDir();
  if (setup.yaml !== undefined) writeFileSync(join(cwd, CONFIG_FILE), setup.yaml);
  const env = setup.env ?? {};
  const platform = setup.platform ?? "linux";
  let config = loadConfig({ cwd, env, platform });
  const replaced: ManagerConfig[] = [];
  const app = createApiApp(() => {});
  const missing = registerHandlers(
    app,
    configHandlers({
      config: () => config,
      replaceConfig: (cfg) => {
        replaced.push(cfg);
        config = cfg;
      },
      cwd,
      env,
      blender: createBlenderProbe({ env: { PATH: setup.path ?? freshDir() }, platform }),
      clock: { now: () => WRITTEN_AT },
    }),
  );
  const send = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { cwd, app, missing, replaced, config: () => config, send, file: join(cwd, CONFIG_FILE) };
}

const BASE_YAML = `_meta: {version: 3}
manager_name: Render Room
shared_storage_path: /srv/flamenco
mqtt:
  client:
    enabled: true
    broker: tcp://broker:1883
    username: farm
    password: s3cret
`;

test("configHandlers answers exactly the six configuration-editing operations", () => {
  const { missing } = manager();
  for (const op of [
    "getConfigurationFile",
    "updateConfigurationFile",
    "checkSharedStoragePath",
    "findBlenderExePath",
    "checkBlenderExePath",
    "saveSetupAssistantConfig",
  ]) {
    expect(missing).not.toContain(op);
  }
  expect(missing).toContain("getVersion");
});

describe("GET /api/v3/configuration/file", () => {
  test("the whole configuration with YAML keys, the MQTT password hidden", async () => {
    const m = manager({ yaml: BASE_YAML });
    const res = await m.send("GET", "/api/v3/configuration/file");
    expect(res.status).toBe(200);
    const body = await json<ConfigFile>(res);
    expect(body._meta).toEqual({ version: 3 });
    expect(body.manager_name).toBe("Render Room");
    expect(body.task_timeout).toBe("10m0s");
    expect(body.variables.blender?.values).toHaveLength(3);
    expect(body.mqtt.client).toMatchObject({ username: "farm", password: MQTT_PASSWORD_PLACEHOLDER });
    expect(JSON.stringify(body)).not.toContain("s3cret");
    expect(m.config().mqtt.password).toBe("s3cret");
  });

  test("an unset password stays empty, so the web app can tell there is none", async () => {
    const res = await manager().send("GET", "/api/v3/configuration/file");
    expect((await json<ConfigFile>(res)).mqtt.client.password).toBe("");
  });
});

describe("PUT /api/v3/configuration/file", () => {
  test("a round trip with one change rewrites the file and replaces the configuration", async () => {
    const m = manager({ yaml: BASE_YAML, env: { PORT: "9123" }, platform: "windows" });
    const current = await json<ConfigFile>(await m.send("GET", "/api/v3/configuration/file"));
    current.manager_name = "Night Shift";
    current.task_timeout = "15m";

    const res = await m.send("PUT", "/api/v3/configuration/file", current);
    expect(res.status).toBe(204);

    const onDisk = readFileSync(m.file, "utf8");
    // Edited in place: a hand-written file gets no generated header.
    expect(onDisk).not.toContain("# Configuration of");
    expect(onDisk).toContain("manager_name: Night Shift");
    expect(onDisk).toContain("password: s3cret");
    expect(statSync(m.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(m.cwd)).toEqual([CONFIG_FILE]);

    expect(m.replaced).toHaveLength(1);
    const now = m.config();
    expect(now.managerName).toBe("Night Shift");
    expect(now.taskTimeoutMs).toBe(900_000);
    expect(now.mqtt.password).toBe("s3cret");
    // Unlike Flamenco, the Manager's platform and the environment overrides survive.
    expect(now.platform).toBe("windows");
    expect(now.listen.port).toBe(9123);
    expect(loadConfig({ cwd: m.cwd, env: {}, platform: "windows" }).raw).toEqual(now.raw);
  });

  test("a new password replaces the old one", async () => {
    const m = manager({ yaml: BASE_YAML });
    const current = await json<ConfigFile>(await m.send("GET", "/api/v3/configuration/file"));
    current.mqtt.client.password = "n3w";
    expect((await m.send("PUT", "/api/v3/configuration/file", current)).status).toBe(204);
    expect(m.config().mqtt.password).toBe("n3w");
    expect(readFileSync(m.file, "utf8")).toContain("password: n3w");
  });

  test("missing keys get their defaults instead of zero values", async () => {
    const m = manager({ yaml: BASE_YAML });
    const res = await m.send("PUT", "/api/v3/configuration/file", {
      _meta: { version: 3 },
      manager_name: "Bare",
    });
    expect(res.status).toBe(204);
    expect(m.config().raw).toMatchObject({
      manager_name: "Bare",
      listen: ":8080",
      task_timeout: "10m0s",
      blocklist_threshold: 3,
      shared_storage_path: "",
    });
    expect(m.config().raw.variables.blenderArgs).toBeDefined();
  });

  test("on a first run the file is created in the working directory", async () => {
    const m = manager();
    expect(m.config().configPath).toBeNull();
    const body = { _meta: { version: 3 }, shared_storage_path: join(m.cwd, "shared") };
    expect((await m.send("PUT", "/api/v3/configuration/file", body)).status).toBe(204);
    expect(m.config().configPath).toBe(m.file);
    expect(m.config().isFirstRun).toBe(false);
    expect(existsSync(m.file)).toBe(true);
  });

  const invalid: [string, unknown, RegExp][] = [
    ["a number as duration", { _meta: { version: 3 }, task_timeout: 600 }, /task_timeout: invalid duration/],
    ["no version", { manager_name: "x" }, /_meta\.version: missing/],
    ["an old version", { _meta: { version: 2 } }, /_meta\.version: unsupported/],
    [
      "a bad variable",
      { _meta: { version: 3 }, variables: { x: { values: [{ value: "v" }] } } },
      /variables\.x\.values\[0\]/,
    ],
    [
      "MQTT without broker",
      { _meta: { version: 3 }, mqtt: { client: { enabled: true } } },
      /mqtt\.client\.broker/,
    ],
    ["a list", [1, 2], /invalid body/],
  ];
  for (const [name, body, message] of invalid) {
    test(`400 naming the problem, nothing written: ${name}`, async () => {
      const m = manager({ yaml: BASE_YAML });
      const res = await m.send("PUT", "/api/v3/configuration/file", body);
      expect(res.status).toBe(400);
      const error = await json<Schemas["Error"]>(res);
      expect(error.code).toBe(400);
      expect(error.message).toMatch(message);
      expect(readFileSync(m.file, "utf8")).toBe(BASE_YAML);
      expect(readdirSync(m.cwd)).toEqual([CONFIG_FILE]);
      expect(m.replaced).toHaveLength(0);
    });
  }

  test("400 on a body that is not JSON", async () => {
    const m = manager({ yaml: BASE_YAML });
    const res = await m.send("PUT", "/api/v3/configuration/file", "{manager_name:");
    expect(res.status).toBe(400);
    expect(m.replaced).toHaveLength(0);
  });

  test("500 when the file cannot be written; the configuration in effect stays", async () => {
    const m = manager({ yaml: BASE_YAML });
    // Make the rename fail: a folder where the file should be.
    rmSync(m.file);
    mkdirSync(m.file);
    const res = await m.send("PUT", "/api/v3/configuration/file", {
      _meta: { version: 3 },
      manager_name: "x",
    });
    expect(res.status).toBe(500);
    expect((await json<Schemas["Error"]>(res)).message).toContain("error saving configuration file");
    expect(m.replaced).toHaveLength(0);
    expect(m.config().managerName).toBe("Render Room");
    expect(existsSync(`${m.file}~`)).toBe(false);
  });
});

describe("POST /api/v3/configuration/check/shared-storage", () => {
  test("a writable folder is usable and keeps no test file", async () => {
    const m = manager();
    const shared = freshDir();
    const res = await m.send("POST", "/api/v3/configuration/check/shared-storage", { path: shared });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      path: shared,
      is_usable: true,
      cause: "Directory checked successfully",
    });
    expect(readdirSync(shared)).toEqual([]);
  });

  test("unusable paths are still a 200 with the reason", async () => {
    const m = manager();
    const file = join(freshDir(), "f.txt");
    writeFileSync(file, "");
    for (const [path, cause] of [
      ["", /empty/],
      [join(m.cwd, "missing"), /does not exist/],
      [file, /not a directory/],
      [m.cwd, /Manager's own/],
    ] as const) {
      const res = await m.send("POST", "/api/v3/configuration/check/shared-storage", { path });
      expect(res.status).toBe(200);
      const body = await json<Schemas["PathCheckResult"]>(res);
      expect(body.path).toBe(path);
      expect(body.is_usable).toBe(false);
      expect(body.cause).toMatch(cause);
    }
  });

  test("400 only for a body that is not a path check", async () => {
    const m = manager();
    expect((await m.send("POST", "/api/v3/configuration/check/shared-storage", "not json")).status).toBe(400);
    expect((await m.send("POST", "/api/v3/configuration/check/shared-storage", { path: 3 })).status).toBe(
      400,
    );
  });
});

describe("GET /api/v3/configuration/check/blender", () => {
  test("the `blender` found on PATH, with its version line as cause", async () => {
    const bin = fakeBlenderDir();
    const res = await manager({ path: bin }).send("GET", "/api/v3/configuration/check/blender");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      {
        input: "blender",
        path: join(bin, "blender"),
        source: "path_envvar",
        is_usable: true,
        cause: "Blender 4.2.0",
      },
    ]);
  });

  test("an empty list when there is no Blender", async () => {
    const res = await manager().send("GET", "/api/v3/configuration/check/blender");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });

  test("500 when the `blender` found does not run as Blender", async () => {
    const res = await manager({ path: fakeBlenderDir("exit 1") }).send(
      "GET",
      "/api/v3/configuration/check/blender",
    );
    expect(res.status).toBe(500);
    expect((await json<Schemas["Error"]>(res)).message).toContain("status 1");
  });
});

describe("POST /api/v3/configuration/check/blender", () => {
  test("a name on PATH, a folder and an executable path are found", async () => {
    const bin = fakeBlenderDir();
    const m = manager({ path: bin });
    const check = async (path: string) => {
      const res = await m.send("POST", "/api/v3/configuration/check/blender", { path });
      expect(res.status).toBe(200);
      return json<Schemas["BlenderPathCheckResult"]>(res);
    };
    const exe = join(bin, "blender");
    expect(await check("blender")).toEqual({
      input: "blender",
      path: exe,
      source: "path_envvar",
      is_usable: true,
      cause: "Found Blender 4.2.0",
    });
    expect(await check(bin)).toEqual({
      input: bin,
      path: exe,
      source: "input_path",
      is_usable: true,
      cause: "Found Blender 4.2.0",
    });
    expect(await check(exe)).toMatchObject({ input: exe, path: exe, source: "input_path", is_usable: true });
    expect(await check("")).toMatchObject({ input: "", path: exe, is_usable: true });
  });

  test("not found and failing commands are a 200 verdict with the cause", async () => {
    const broken = fakeBlenderDir('echo "Blender 4.2.0" >&2\nexit 2');
    const m = manager({ path: freshDir() });
    const check = async (path: string) =>
      json<Schemas["BlenderPathCheckResult"]>(
        await m.send("POST", "/api/v3/configuration/check/blender", { path }),
      );
    expect(await check("blender")).toEqual({
      input: "blender",
      path: "",
      source: "path_envvar",
      is_usable: false,
      cause: "Blender could not be found",
    });
    expect(await check(join(m.cwd, "nowhere", "blender"))).toMatchObject({
      source: "input_path",
      is_usable: false,
      cause: "Blender could not be found",
    });
    const failed = await check(join(broken, "blender"));
    expect(failed).toMatchObject({ path: "", is_usable: false });
    expect(failed.cause).toStartWith("There was an error running the command: ");
    expect(failed.cause).toContain("status 2");
  });
});

describe("POST /api/v3/configuration/setup-assistant", () => {
  const usable = (source: string, input: string, path: string) => ({
    input,
    path,
    source,
    is_usable: true,
    cause: "Found Blender 4.2.0",
  });

  test("stores shared storage and Blender for every platform, then replaces the configuration", async () => {
    const bin = freshDir();
    const m = manager({ path: bin });
    const shared = freshDir();
    const res = await m.send("POST", "/api/v3/configuration/setup-assistant", {
      storageLocation: shared,
      blenderExecutable: usable("path_envvar", "blender-4.2", fakeBlender(bin, "blender-4.2")),
    });
    expect(res.status).toBe(204);

    const reloaded = loadConfig({ cwd: m.cwd, env: {}, platform: "linux" });
    expect(reloaded.isFirstRun).toBe(false);
    expect(reloaded.sharedStoragePath).toBe(shared);
    expect(reloaded.raw.variables.blender).toEqual({
      values: ["linux", "windows", "darwin"].map((platform) => ({
        audience: "all",
        platform,
        value: "blender-4.2",
      })),
    });
    expect(reloaded.raw.variables.blenderArgs?.values).toEqual([
      { audience: "all", platform: "all", value: "-b -y" },
    ]);
    expect(statSync(m.file).mode & 0o777).toBe(0o600);

    expect(m.replaced).toHaveLength(1);
    expect(m.config().isFirstRun).toBe(false);
    expect(m.config().raw).toEqual(reloaded.raw);
    // The implicit {jobs} variable follows the new shared storage (Shaman is on by default).
    expect(resolveVariables(m.config(), "workers", "linux").jobs?.value).toBe(join(shared, "jobs"));
  });

  test("the command stored depends on where Blender was found, quoted when it needs it", async () => {
    const installed = fakeBlenderDir();
    const macApp = fakeBlender(join(freshDir(), "Blender.app", "Contents", "MacOS"), "Blender");
    const programFiles = fakeBlender(join(freshDir(), "Program Files (x86)", "Blender"));
    const cases: [ReturnType<typeof usable>, string][] = [
      [usable("input_path", installed, join(installed, "blender")), join(installed, "blender")],
      [usable("system_location", macApp, macApp), macApp],
      // Saved as plain `blender` for the workers to find: not checked on the Manager.
      [usable("file_association", "", "C:\\Blender\\blender.exe"), "blender"],
      [usable("default", "", ""), "blender"],
      [usable("input_path", programFiles, programFiles), JSON.stringify(programFiles)],
    ];
    for (const [blenderExecutable, expected] of cases) {
      const m = manager();
      const res = await m.send("POST", "/api/v3/configuration/setup-assistant", {
        storageLocation: freshDir(),
        blenderExecutable,
      });
      expect(res.status).toBe(204);
      expect(m.config().raw.variables.blender?.values.map((v) => v.value)).toEqual([
        expected,
        expected,
        expected,
      ]);
    }
  });

  test("keeps the other settings of an existing file", async () => {
    const m = manager({ yaml: BASE_YAML });
    const shared = freshDir();
    const res = await m.send("POST", "/api/v3/configuration/setup-assistant", {
      storageLocation: shared,
      blenderExecutable: usable("default", "", ""),
    });
    expect(res.status).toBe(204);
    const reloaded = loadConfig({ cwd: m.cwd, env: {}, platform: "linux" });
    expect(reloaded.managerName).toBe("Render Room");
    expect(reloaded.mqtt.password).toBe("s3cret");
    expect(reloaded.sharedStoragePath).toBe(shared);
  });

  const incomplete: [string, unknown, RegExp][] = [
    ["no storage", { storageLocation: "", blenderExecutable: usable("default", "", "") }, /storageLocation/],
    [
      "unusable Blender",
      { storageLocation: "/s", blenderExecutable: { ...usable("default", "", ""), is_usable: false } },
      /is_usable/,
    ],
    [
      "file association without path",
      { storageLocation: "/s", blenderExecutable: usable("file_association", "", "") },
      /path/,
    ],
    [
      "input path without input",
      { storageLocation: "/s", blenderExecutable: usable("input_path", "", "/b") },
      /input/,
    ],
    [
      "PATH lookup without path",
      { storageLocation: "/s", blenderExecutable: usable("path_envvar", "blender", "") },
      /path/,
    ],
    [
      "system location without path",
      { storageLocation: "/s", blenderExecutable: usable("system_location", "x", "") },
      /path/,
    ],
  ];
  for (const [name, body, detail] of incomplete) {
    test(`400 "configuration is incomplete", nothing written: ${name}`, async () => {
      const m = manager();
      const res = await m.send("POST", "/api/v3/configuration/setup-assistant", body);
      expect(res.status).toBe(400);
      const { message } = await json<Schemas["Error"]>(res);
      expect(message).toStartWith("configuration is incomplete: ");
      expect(message).toMatch(detail);
      expect(readdirSync(m.cwd)).toEqual([]);
      expect(m.replaced).toHaveLength(0);
    });
  }

  test("400 for an unknown source or a UNC storage path, nothing written", async () => {
    const m = manager();
    const unknown = await m.send("POST", "/api/v3/configuration/setup-assistant", {
      storageLocation: "/s",
      blenderExecutable: usable("guesswork", "", ""),
    });
    expect(unknown.status).toBe(400);
    const unc = await m.send("POST", "/api/v3/configuration/setup-assistant", {
      storageLocation: "\\\\server\\share",
      blenderExecutable: usable("default", "", ""),
    });
    expect(unc.status).toBe(400);
    expect((await json<Schemas["Error"]>(unc)).message).toMatch(
      /^configuration is unusable: storageLocation: UNC paths/,
    );
    expect(readdirSync(m.cwd)).toEqual([]);
    expect(m.replaced).toHaveLength(0);
  });

  /** Saves `blenderExecutable` with a good shared storage; expects a 400 whose message matches. */
  async function refusedBlender(m: ReturnType<typeof manager>, blenderExecutable: unknown, cause: RegExp) {
    const shared = freshDir();
    const res = await m.send("POST", "/api/v3/configuration/setup-assistant", {
      storageLocation: shared,
      blenderExecutable,
    });
    expect(res.status).toBe(400);
    const { message } = await json<Schemas["Error"]>(res);
    expect(message).toStartWith("configuration is unusable: blenderExecutable: ");
    expect(message).toMatch(cause);
    expect(readdirSync(m.cwd)).toEqual([]);
    expect(readdirSync(shared)).toEqual([]);
    expect(m.replaced).toHaveLength(0);
  }

  test("a client's is_usable: true is not trusted: the Blender to be saved is run again", async () => {
    const notBlender = fakeBlender(freshDir(), "blender", "exit 3");
    const m = manager({ path: fakeBlenderDir() });
    const gone = join(freshDir(), "blender");
    await refusedBlender(m, usable("input_path", gone, gone), /Blender could not be found/);
    await refusedBlender(m, usable("path_envvar", "blender-9", "/usr/bin/blender-9"), /could not be found/);
    await refusedBlender(
      m,
      usable("system_location", notBlender, notBlender),
      /error running the command.*status 3/,
    );
    await refusedBlender(m, usable("input_path", "bin/blender", "bin/blender"), /neither an absolute path/);
    await refusedBlender(m, usable("input_path", "/x", `/opt/blender\0/blender`), /control character/);
  });

  test("a folder is refused: it finds the Blender inside, but workers could not run the folder", async () => {
    const dir = fakeBlenderDir();
    await refusedBlender(
      manager(),
      usable("input_path", dir, dir),
      /is a folder; choose the Blender executable in it/,
    );
  });

  const unusableStorage: [string, (m: ReturnType<typeof manager>) => string, RegExp][] = [
    ["a missing directory", () => join(freshDir(), "missing"), /does not exist/],
    ["a file", () => fakeBlender(freshDir(), "notes.txt"), /not a directory/],
    ["the Manager's own directory", (m) => m.cwd, /Manager's own/],
    ["a path with ..", () => `${freshDir()}/../x`, /"\.\." component/],
    ["a NUL byte", () => `${freshDir()}\0`, /control character U\+0000/],
    ["an over-long path", () => `/${"a".repeat(4096)}`, /longer than the limit of 1024 characters/],
  ];
  for (const [name, storage, cause] of unusableStorage) {
    test(`shared storage is checked again before saving: 400 for ${name}, nothing written`, async () => {
      const m = manager();
      const res = await m.send("POST", "/api/v3/configuration/setup-assistant", {
        storageLocation: storage(m),
        blenderExecutable: usable("default", "", ""),
      });
      expect(res.status).toBe(400);
      const { message } = await json<Schemas["Error"]>(res);
      expect(message).toStartWith("configuration is unusable: storageLocation: ");
      expect(message).toMatch(cause);
      expect(readdirSync(m.cwd)).toEqual([]);
      expect(m.replaced).toHaveLength(0);
    });
  }
});
