import { expect, test } from "bun:test";
import { createManagerClient, errorText, WORKER_USER_AGENT } from "../../../src/worker/client";
import { startTestManager } from "../../support/manager";
import { useProxiedManager } from "../farm";

const farm = useProxiedManager(startTestManager);

test("requests carry the worker's Basic auth (read per request) and a Flamenco User-Agent", async () => {
  let creds: { workerId: string; secret: string } | null = null;
  const api = createManagerClient({
    baseUrl: `${farm.proxy.url}/`,
    credentials: () => creds,
    timeoutMs: 5_000,
  });

  const secret = "s3cret-of-16-chars";
  const registered = await api.POST("/api/v3/worker/register-worker", {
    body: { name: "w", platform: "linux", secret, supported_task_types: ["misc"] },
  });
  expect(registered.response.status).toBe(200);
  expect(farm.proxy.requests.at(-1)!.auth).toBeNull();

  creds = { workerId: registered.data!.uuid, secret };
  const signOn = await api.POST("/api/v3/worker/sign-on", {
    body: { name: "w", supported_task_types: ["misc"], software_version: "test" },
  });
  expect(signOn.response.status).toBe(200);
  const seen = farm.proxy.requests.at(-1)!;
  expect(seen.auth).toBe(`Basic ${btoa(`${creds.workerId}:${secret}`)}`);
  expect(seen.userAgent).toBe(WORKER_USER_AGENT);
  expect(WORKER_USER_AGENT).toMatch(/^Flamenco\/3\.\d+ \(/);
});

test("wrong credentials get the Manager's 403, and errorText shows its message", async () => {
  const api = createManagerClient({
    baseUrl: farm.manager.url,
    credentials: () => ({ workerId: crypto.randomUUID(), secret: "nope" }),
    timeoutMs: 5_000,
  });
  const { error, response } = await api.POST("/api/v3/worker/sign-on", {
    body: { name: "w", supported_task_types: [], software_version: "test" },
  });
  expect(response.status).toBe(403);
  expect(errorText(error, response)).toMatch(/^403: .+/);
});

test("a request that takes longer than the time limit is aborted", async () => {
  const slow = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => Bun.sleep(2_000).then(() => new Response("late")),
  });
  try {
    const api = createManagerClient({ baseUrl: slow.url.href, credentials: () => null, timeoutMs: 100 });
    const started = performance.now();
    await expect(api.GET("/api/v3/version")).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1_500);
  } finally {
    await slow.stop(true);
  }
});
