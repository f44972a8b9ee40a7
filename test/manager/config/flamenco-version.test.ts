// `flamenco_version` through a real Manager (Bun.serve, SQLite file, configuration file): what
// GET /api/v3/version reports, and a change saved through the API applying without a restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PRODUCT_NAME, PRODUCT_VERSION, DEFAULT_FLAMENCO_VERSION } from "../../../src/shared/version";
import { startTestManager, type TestManager } from "../../support/manager";

interface Version {
  version: string;
  shortversion: string;
  name: string;
  git: string;
}

async function version(m: TestManager): Promise<Version> {
  const res = await fetch(`${m.url}/api/v3/version`);
  expect(res.status).toBe(200);
  return (await res.json()) as Version;
}

async function putConfig(m: TestManager, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${m.url}/api/v3/configuration/file`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function currentConfig(m: TestManager): Promise<Record<string, unknown>> {
  const res = await fetch(`${m.url}/api/v3/configuration/file`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("without flamenco_version", () => {
  let m: TestManager;
  beforeAll(async () => {
    m = await startTestManager({ config: { manager_name: "Farm" }, start: false });
  });
  afterAll(() => m.destroy());

  test("the stable Flamenco release is reported, as the add-on of that release expects", async () => {
    expect(await version(m)).toEqual({
      version: `${DEFAULT_FLAMENCO_VERSION} (${PRODUCT_NAME} ${PRODUCT_VERSION})`,
      shortversion: DEFAULT_FLAMENCO_VERSION,
      name: "Farm",
      git: `${PRODUCT_NAME}-${PRODUCT_VERSION}`,
    });
  });
});

describe("with flamenco_version in the file", () => {
  let m: TestManager;
  beforeAll(async () => {
    m = await startTestManager({ config: { flamenco_version: "3.9-beta1" }, start: false });
  });
  afterAll(() => m.destroy());

  test("it is reported as shortversion and starts the display version", async () => {
    const v = await version(m);
    expect(v.shortversion).toBe("3.9-beta1");
    expect(v.version).toStartWith("3.9-beta1 (");
  });

  test("a change saved through the API is reported at once and written to the file", async () => {
    const res = await putConfig(m, { ...(await currentConfig(m)), flamenco_version: "3.8" });
    expect(res.status).toBe(204);
    expect((await version(m)).shortversion).toBe("3.8");
    expect(readFileSync(join(m.dir, "flamenco-manager.yaml"), "utf8")).toContain('flamenco_version: "3.8"');
  });

  test("a malformed version is a 400 naming the key, and nothing changes", async () => {
    const before = readFileSync(join(m.dir, "flamenco-manager.yaml"), "utf8");
    const res = await putConfig(m, { ...(await currentConfig(m)), flamenco_version: "3.9 beta" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: number; message: string };
    expect(body.code).toBe(400);
    expect(body.message).toStartWith(
      'body: flamenco_version: invalid version "3.9 beta" (use a Flamenco version',
    );
    expect((await version(m)).shortversion).toBe("3.8");
    expect(readFileSync(join(m.dir, "flamenco-manager.yaml"), "utf8")).toBe(before);
  });

  test("an unknown key is a 400 with the likely key, not silently dropped", async () => {
    const before = readFileSync(join(m.dir, "flamenco-manager.yaml"), "utf8");
    const res = await putConfig(m, { ...(await currentConfig(m)), flamenco_verison: "3.9" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 400,
      message: 'body: flamenco_verison: unknown key (did you mean "flamenco_version"?)',
    });
    expect((await version(m)).shortversion).toBe("3.8");
    expect(readFileSync(join(m.dir, "flamenco-manager.yaml"), "utf8")).toBe(before);
  });
});
