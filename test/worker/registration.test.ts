import { expect, test } from "bun:test";
import { registerOrSignOn, RegistrationError } from "../../src/worker/registration";
import { startTestManager } from "../support/manager";
import { freePort } from "../support/processes";
import { waitFor } from "../support/wait";
import { sentJson, testWorker, useProxiedManager } from "./farm";

const farm = useProxiedManager(startTestManager);
const never = new AbortController().signal;

const calls = (from: number) =>
  farm.proxy.requests.slice(from).map((r) => `${r.path.replace("/api/v3/worker/", "")} ${r.status}`);

test("a new worker registers with a 64-hex secret, stores its credentials and signs on", async () => {
  const worker = await testWorker(farm.proxy.url, { register: false });
  const from = farm.proxy.requests.length;
  expect(await registerOrSignOn(worker.registration, never)).toBe("awake");
  expect(calls(from)).toEqual(["register-worker 200", "sign-on 200"]);
  const [registration] = farm.proxy.requests.slice(from);
  if (!registration) throw new Error("no request reached the Manager");
  const body = sentJson(registration.body);
  expect(body).toMatchObject({
    name: "unit-test-worker",
    platform: "linux",
    supported_task_types: ["misc", "blender", "ffmpeg", "file-management"],
  });
  expect(body.secret).toMatch(/^[0-9a-f]{64}$/);
  const stored = worker.credentials();
  expect(stored?.workerId).toBeTypeOf("string");
  expect(body.secret).toBe(stored?.secret);
});

test("known credentials only sign on: the worker keeps its identity", async () => {
  const worker = await testWorker(farm.proxy.url);
  const id = worker.workerId();
  const from = farm.proxy.requests.length;
  expect(await registerOrSignOn(worker.registration, never)).toBe("awake");
  expect(calls(from)).toEqual(["sign-on 200"]);
  expect(worker.workerId()).toBe(id);
});

test("credentials the Manager rejects (403) lead to a new registration", async () => {
  const worker = await testWorker(farm.proxy.url);
  const oldId = worker.workerId();
  await fetch(`${farm.manager.url}/api/v3/worker-mgt/workers/${oldId}`, { method: "DELETE" });
  const from = farm.proxy.requests.length;
  expect(await registerOrSignOn(worker.registration, never)).toBe("awake");
  expect(calls(from)).toEqual(["sign-on 403", "register-worker 200", "sign-on 200"]);
  expect(worker.workerId()).not.toBe(oldId);
});

test("a failing Manager (5xx) is retried with the same identity, not re-registered", async () => {
  const worker = await testWorker(farm.proxy.url);
  const id = worker.workerId();
  let failures = 2;
  farm.proxy.fail((_m, path) =>
    path.endsWith("/sign-on") && failures-- > 0
      ? Response.json({ code: 503, message: "busy" }, { status: 503 })
      : null,
  );
  const from = farm.proxy.requests.length;
  try {
    expect(await registerOrSignOn(worker.registration, never)).toBe("awake");
  } finally {
    farm.proxy.fail(null);
  }
  expect(calls(from)).toEqual(["sign-on 503", "sign-on 503", "sign-on 200"]);
  expect(worker.workerId()).toBe(id);
});

test("a Manager that is not up yet: registration is retried until it answers", async () => {
  const port = freePort();
  const worker = await testWorker(`http://127.0.0.1:${port}`, { register: false });
  const logged: string[] = [];
  const result = registerOrSignOn({ ...worker.registration, log: (_l, msg) => logged.push(msg) }, never);
  await waitFor("a failed attempt", () => logged.some((m) => m.startsWith("registering failed")), 5_000);
  const late = await startTestManager({ config: { listen: `127.0.0.1:${port}` } });
  try {
    expect(await result).toBe("awake");
    expect(worker.credentials()).not.toBeNull();
  } finally {
    await late.destroy();
  }
});

test("shutdown while waiting for the Manager ends registration without an answer", async () => {
  const worker = await testWorker(`http://127.0.0.1:${freePort()}`, { register: false });
  const stop = new AbortController();
  const result = registerOrSignOn(worker.registration, stop.signal);
  stop.abort();
  expect(await result).toBeNull();
  expect(worker.credentials()).toBeNull();
});

test("a request the Manager calls invalid (400) is an error, not a retry", async () => {
  const worker = await testWorker(farm.proxy.url);
  farm.proxy.fail((_m, path) =>
    path.endsWith("/sign-on") ? Response.json({ code: 400, message: "bad" }, { status: 400 }) : null,
  );
  try {
    await expect(registerOrSignOn(worker.registration, never)).rejects.toBeInstanceOf(RegistrationError);
  } finally {
    farm.proxy.fail(null);
  }
});
