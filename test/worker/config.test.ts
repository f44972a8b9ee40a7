import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_TASK_TYPES,
  loadCredentials,
  loadWorkerConfig,
  normaliseManagerUrl,
  parseWorkerArgs,
  REGISTRATION_SECRET_ENV,
  resolveRegistrationSecret,
  resolveWorkerName,
  saveCredentials,
  WorkerConfigError,
  workerHome,
} from "../../src/worker/config";
import { tempDirs } from "../support/temp-dirs";

const tempDir = tempDirs("tablao-worker-config");

const dir = () => tempDir();

describe("flamenco-worker.yaml", () => {
  test("missing or empty file gives the defaults", () => {
    const d = dir();
    expect(loadWorkerConfig(join(d, "absent.yaml"))).toEqual({
      managerUrl: "",
      workerName: "",
      taskTypes: [...DEFAULT_TASK_TYPES],
      restartExitCode: 0,
      oomScoreAdjust: null,
      registrationSecret: "",
    });
    writeFileSync(join(d, "empty.yaml"), "");
    expect(loadWorkerConfig(join(d, "empty.yaml")).taskTypes).toEqual([
      "blender",
      "ffmpeg",
      "file-management",
      "misc",
    ]);
  });

  test("Flamenco's keys are read, strings trimmed, unknown keys ignored", () => {
    const path = join(dir(), "flamenco-worker.yaml");
    writeFileSync(
      path,
      [
        "manager_url: ' http://farm:8080/ '",
        "worker_name: ' gpu-1 '",
        "task_types: [blender, misc]",
        "restart_exit_code: 47",
        "oom_score_adjust: 500",
        "registration_secret: ' farm-secret '",
        "some_future_key: yes",
      ].join("\n"),
    );
    expect(loadWorkerConfig(path)).toEqual({
      managerUrl: "http://farm:8080/",
      workerName: "gpu-1",
      taskTypes: ["blender", "misc"],
      restartExitCode: 47,
      oomScoreAdjust: 500,
      registrationSecret: "farm-secret",
    });
  });

  test("bad YAML or wrong types are errors naming the file and key", () => {
    const path = join(dir(), "flamenco-worker.yaml");
    writeFileSync(path, "task_types: blender");
    expect(() => loadWorkerConfig(path)).toThrow(/task_types: expected a list of strings/);
    writeFileSync(path, "restart_exit_code: soon");
    expect(() => loadWorkerConfig(path)).toThrow(WorkerConfigError);
    writeFileSync(path, "manager_url: [\n");
    expect(() => loadWorkerConfig(path)).toThrow(/not valid YAML/);
  });
});

test("the registration secret: registration_secret from the file, else the environment", () => {
  const path = join(dir(), "flamenco-worker.yaml");
  writeFileSync(path, "registration_secret: from-the-file");
  const env = { [REGISTRATION_SECRET_ENV]: " from-the-env " };
  expect(resolveRegistrationSecret(loadWorkerConfig(path), env)).toBe("from-the-file");
  writeFileSync(path, "");
  expect(resolveRegistrationSecret(loadWorkerConfig(path), env)).toBe("from-the-env");
  expect(resolveRegistrationSecret(loadWorkerConfig(path), {})).toBe("");
});

describe("-manager URLs", () => {
  test.each([
    ["farm:1234", "http://farm:1234/"],
    ["farm", "http://farm/"],
    ["http://farm:8080/", "http://farm:8080/"],
    ["https://farm/flamenco/", "https://farm/flamenco/"],
    ["192.168.1.2:8080", "http://192.168.1.2:8080/"],
  ])("%s → %s", (input, expected) => {
    expect(normaliseManagerUrl(input)).toBe(expected);
  });

  test("an unusable URL is an error", () => {
    expect(() => normaliseManagerUrl("http://")).toThrow(WorkerConfigError);
  });
});

describe("command line", () => {
  test("Go flag syntax with one or two dashes and = or a separate value", () => {
    const args = parseWorkerArgs(["-manager", "farm:8080", "--restart-exit-code=47", "-debug", "--flush"]);
    expect(args).toMatchObject({
      manager: "http://farm:8080/",
      restartExitCode: 47,
      logLevel: "debug",
      flush: true,
    });
    expect(parseWorkerArgs(["-quiet"]).logLevel).toBe("warn");
    expect(parseWorkerArgs([])).toMatchObject({
      manager: null,
      restartExitCode: null,
      logLevel: "info",
      flush: false,
    });
    expect(parseWorkerArgs(["-register"]).manager).toBeNull();
  });

  test("unknown flags, missing values and bad numbers are errors", () => {
    expect(() => parseWorkerArgs(["-frobnicate"])).toThrow(/unknown flag -frobnicate/);
    expect(() => parseWorkerArgs(["-manager"])).toThrow(/needs a value/);
    expect(() => parseWorkerArgs(["-restart-exit-code", "x"])).toThrow(/expected an integer/);
  });
});

describe("identity and files", () => {
  test("name: config, then FLAMENCO_WORKER_NAME, then the host name", () => {
    const config = loadWorkerConfig("/nonexistent");
    expect(resolveWorkerName(config, {}, "host")).toBe("host");
    expect(resolveWorkerName(config, { FLAMENCO_WORKER_NAME: " env " }, "host")).toBe("env");
    expect(resolveWorkerName({ ...config, workerName: "cfg" }, { FLAMENCO_WORKER_NAME: "env" }, "host")).toBe(
      "cfg",
    );
  });

  test("home: FLAMENCO_HOME (created) or the working directory", () => {
    const d = dir();
    expect(workerHome({}, d)).toBe(d);
    const home = join(d, "nested", "home");
    expect(workerHome({ FLAMENCO_HOME: home }, d)).toBe(home);
    expect(statSync(home).isDirectory()).toBe(true);
  });

  test("credentials round-trip through a 0600 file; damaged files mean no credentials", () => {
    const path = join(dir(), "flamenco-worker-credentials.yaml");
    expect(loadCredentials(path)).toBeNull();
    saveCredentials(path, { workerId: "2f2e8d2a-1111-4222-8333-444455556666", secret: "abc" });
    expect(loadCredentials(path)).toEqual({
      workerId: "2f2e8d2a-1111-4222-8333-444455556666",
      secret: "abc",
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, "utf8");
    expect(text).toMatch(/^# .*\n/);
    expect(text).toContain("worker_id: 2f2e8d2a-1111-4222-8333-444455556666");
    writeFileSync(path, "worker_id: [");
    expect(loadCredentials(path)).toBeNull();
  });
});
