// The Settings API (/api/tablao/settings) on a real Manager: Bun.serve, a SQLite file, the
// configuration file in a temp folder, and a real mosquitto for the MQTT forwarder. What a save
// applies at once, what it leaves for a restart, dry runs, refusals, and live MQTT changes.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { MQTT_PASSWORD_PLACEHOLDER } from "../../../src/manager/api/handlers/config";
import { SETTINGS } from "../../../src/manager/config/settings-catalog";
import { startMosquitto, type Mosquitto } from "../../support/mosquitto";
import { startTestManager, type TestManager } from "../../support/manager";
import { managerApi } from "../../support/processes";
import { waitFor } from "../../support/wait";

type ConfigJson = Record<string, unknown> & { mqtt: { client: Record<string, unknown> } };
interface SettingsAnswer {
  settings: { path: string; applies: string }[];
  file: ConfigJson;
  restart_pending: string[];
}
interface SavedAnswer {
  saved: boolean;
  changes: { path: string; old?: unknown; new?: unknown; applies: string }[];
  restart_pending: string[];
  warnings: string[];
}

const SETTINGS_PATH = "/api/tablao/settings";
let m: TestManager | null = null;

afterEach(async () => {
  await m?.destroy();
  m = null;
});

async function start(config: Record<string, unknown> = {}): Promise<TestManager> {
  m = await startTestManager({ config });
  return m;
}

async function fetchSettings(t: TestManager): Promise<SettingsAnswer> {
  return (await managerApi(t.url).get(SETTINGS_PATH)) as SettingsAnswer;
}

function put(t: TestManager, file: unknown, dryRun = false): Promise<Response> {
  return fetch(`${t.url}${SETTINGS_PATH}${dryRun ? "?dry_run=true" : ""}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(file),
  });
}

const configText = (t: TestManager) => readFileSync(join(t.dir, "flamenco-manager.yaml"), "utf8");

describe("reading", () => {
  test("every catalog key, the file with the MQTT password hidden, nothing waiting for a restart", async () => {
    const t = await start({ mqtt: { client: { username: "farm", password: "s3cret" } } });
    const answer = await fetchSettings(t);
    expect(answer.settings.map((s) => s.path)).toEqual(SETTINGS.map((s) => s.path));
    expect(answer.file.mqtt.client).toMatchObject({ username: "farm", password: MQTT_PASSWORD_PLACEHOLDER });
    expect(JSON.stringify(answer)).not.toContain("s3cret");
    expect(answer.restart_pending).toEqual([]);
  });

  test("only admins may read or save the settings", async () => {
    const t = await start({
      auth: { trusted_networks: { "127.0.0.0/8": "operator", "::1/128": "operator" } },
    });
    const get = await fetch(`${t.url}${SETTINGS_PATH}`);
    expect(get.status).toBe(403);
    const saved = await put(t, { _meta: { version: 3 }, manager_name: "Taken over" });
    expect(saved.status).toBe(403);
    expect(t.manager.config().managerName).not.toBe("Taken over");
  });
});

describe("saving", () => {
  test("live keys apply at once; restart keys are saved, listed, and the running Manager keeps the old value", async () => {
    const t = await start();
    const { file } = await fetchSettings(t);
    const before = configText(t);
    const edited = { ...file, manager_name: "Night shift", blocklist_threshold: 7, listen: "127.0.0.1:1" };

    const dry = await put(t, edited, true);
    expect(dry.status).toBe(200);
    const dryAnswer = (await dry.json()) as SavedAnswer;
    expect(dryAnswer.saved).toBe(false);
    expect(dryAnswer.changes.map((c) => [c.path, c.applies])).toEqual([
      ["manager_name", "live"],
      ["listen", "restart"],
      ["blocklist_threshold", "live"],
    ]);
    expect(dryAnswer.restart_pending).toEqual([]);
    expect(configText(t)).toBe(before);
    expect(t.manager.config().managerName).toBe("Flamenco");

    const res = await put(t, edited);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as SavedAnswer;
    expect(answer).toMatchObject({ saved: true, restart_pending: ["listen"] });
    expect(answer.changes.find((c) => c.path === "manager_name")).toEqual({
      path: "manager_name",
      old: "Flamenco",
      new: "Night shift",
      applies: "live",
    });
    // Applied: the next request sees the new name, the next failure the new threshold.
    expect(((await managerApi(t.url).get("/api/v3/version")) as { name: string }).name).toBe("Night shift");
    expect(t.manager.config().blocklistThreshold).toBe(7);
    // Not applied: still serving where it started, and saying so until a restart.
    expect(configText(t)).toContain("listen: 127.0.0.1:1");
    expect((await fetchSettings(t)).restart_pending).toEqual(["listen"]);

    const back = await put(t, { ...edited, listen: file.listen });
    expect(((await back.json()) as SavedAnswer).restart_pending).toEqual([]);
  });

  test("bad input: 400 naming the key, nothing written or applied, also for a dry run", async () => {
    const t = await start();
    const { file } = await fetchSettings(t);
    const before = configText(t);
    for (const dryRun of [true, false]) {
      const res = await put(t, { ...file, task_timeout: "soon" }, dryRun);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: number; message: string };
      expect(body.code).toBe(400);
      expect(body.message).toContain("settings: task_timeout:");
    }
    expect(configText(t)).toBe(before);
    expect(t.manager.config().taskTimeoutMs).toBe(600_000);
  });

  test("the password placeholder keeps the password; the changes never show it", async () => {
    const t = await start({ mqtt: { client: { password: "s3cret" } } });
    const { file } = await fetchSettings(t);
    const kept = await put(t, { ...file, manager_name: "Other" });
    expect(kept.status).toBe(200);
    expect(t.manager.config().mqtt.password).toBe("s3cret");
    expect(configText(t)).toContain("password: s3cret");

    const changed = await put(t, {
      ...file,
      manager_name: "Other",
      mqtt: { client: { ...file.mqtt.client, password: "n3w" } },
    });
    const answer = (await changed.json()) as SavedAnswer;
    expect(answer.changes).toEqual([
      {
        path: "mqtt.client.password",
        old: MQTT_PASSWORD_PLACEHOLDER,
        new: MQTT_PASSWORD_PLACEHOLDER,
        applies: "live",
      },
    ]);
    expect(JSON.stringify(answer)).not.toContain("n3w");
    expect(t.manager.config().mqtt.password).toBe("n3w");
  });
});

describe("MQTT settings apply without a restart", () => {
  let brokerA: Mosquitto;
  let brokerB: Mosquitto;
  const subscribers: MqttClient[] = [];

  beforeAll(async () => {
    [brokerA, brokerB] = await Promise.all([startMosquitto(), startMosquitto()]);
  });
  afterAll(async () => {
    await Promise.all(subscribers.map((s) => s.endAsync()));
    await Promise.all([brokerA?.dispose(), brokerB?.dispose()]);
  });

  async function topicsOn(broker: Mosquitto, filter: string): Promise<string[]> {
    const topics: string[] = [];
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    subscribers.push(client);
    client.on("message", (topic) => topics.push(topic));
    await client.subscribeAsync(filter, { qos: 1 });
    return topics;
  }

  async function submitJob(t: TestManager, name: string): Promise<void> {
    await managerApi(t.url).post("/api/v3/jobs", {
      name,
      type: "echo-sleep-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { message: "hi", sleep_duration_seconds: 1, sleep_repeats: 1 },
    });
  }

  test("a new broker and topic prefix: events go there, and no longer to the old ones", async () => {
    const tcp = (b: Mosquitto) => b.url.replace("mqtt://", "tcp://");
    const t = await start({ mqtt: { client: { enabled: true, broker: tcp(brokerA), topic_prefix: "old" } } });
    const onA = await topicsOn(brokerA, "#");
    const onB = await topicsOn(brokerB, "#");
    await waitFor("the MQTT connection to broker A", () => t.manager.mqttStats()?.connected);
    await submitJob(t, "before");
    await waitFor("a job event on old/jobs at A", () => onA.includes("old/jobs"));

    const { file } = await fetchSettings(t);
    const res = await put(t, {
      ...file,
      mqtt: { client: { ...file.mqtt.client, broker: tcp(brokerB), topic_prefix: "new" } },
    });
    expect(((await res.json()) as SavedAnswer).restart_pending).toEqual([]);
    await waitFor("the MQTT connection to broker B", () => t.manager.mqttStats()?.connected);
    const seenOnA = onA.length;
    await submitJob(t, "after");
    await waitFor("a job event on new/jobs at B", () => onB.includes("new/jobs"));
    expect(onB.every((topic) => topic.startsWith("new/"))).toBe(true);
    expect(onA.slice(seenOnA)).toEqual([]);

    const off = await put(t, { ...file, mqtt: { client: { ...file.mqtt.client, enabled: false } } });
    expect(off.status).toBe(200);
    expect(t.manager.mqttStats()).toBeNull();
  });
});
