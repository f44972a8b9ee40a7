// The worker protocol against a real Manager over HTTP, as a stock Flamenco Worker speaks it:
// register, sign on, fetch tasks, report progress and logs, complete a job; and a worker that
// goes silent has its task requeued after the configured worker timeout (fake clock).
import { afterEach, expect, test } from "bun:test";
import type { PublishedEvent } from "../../src/manager/events/broker";
import type { Schemas } from "../../src/worker/client";
import { FakeClock } from "../support/fake-clock";
import { startTestManager, type TestManager } from "../support/manager";

let m: TestManager | null = null;
afterEach(async () => {
  await m?.destroy();
  m = null;
});

/** `T` is the shape the test expects of the JSON answer; the test checks the fields it reads. */
function client(base: string, auth?: { id: string; secret: string }) {
  return async <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const headers: Record<string, string> = { "User-Agent": "Flamenco/3.9 (test)" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) headers.Authorization = `Basic ${btoa(`${auth.id}:${auth.secret}`)}`;
    const res = await fetch(`${base}/api/v3${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

async function signedOnWorker(url: string, name: string) {
  const anon = client(url);
  const secret = `secret-of-${name}`;
  const reg = await anon<Schemas["RegisteredWorker"]>("POST", "/worker/register-worker", {
    name,
    secret,
    platform: "linux",
    supported_task_types: ["misc"],
  });
  expect(reg.status).toBe(200);
  const w = client(url, { id: reg.body.uuid, secret });
  const signOn = await w("POST", "/worker/sign-on", {
    name,
    supported_task_types: ["misc"],
    software_version: "3.9",
    can_restart: false,
  });
  expect(signOn.status).toBe(200);
  expect((await w("POST", "/worker/state-changed", { status: "awake" })).status).toBe(204);
  return { id: reg.body.uuid, call: w };
}

async function submitEchoJob(url: string, sleepRepeats: number) {
  const res = await client(url)<Schemas["Job"]>("POST", "/jobs", {
    name: "protocol",
    type: "echo-sleep-test",
    priority: 50,
    submitter_platform: "linux",
    settings: { message: "hello {blender}", sleep_duration_seconds: 1, sleep_repeats: sleepRepeats },
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

test("a scripted worker drives an echo-sleep-test job to completed, with logs and events", async () => {
  m = await startTestManager();
  const events: PublishedEvent[] = [];
  m.manager.broker.listen((e) => events.push(e));
  const jobId = await submitEchoJob(m.url, 2);
  const w = await signedOnWorker(m.url, "render-01");

  const done: string[] = [];
  for (;;) {
    const assigned = await w.call<Schemas["AssignedTask"]>("POST", "/worker/task");
    if (assigned.status === 204) break;
    expect(assigned.status).toBe(200);
    const task = assigned.body;
    expect(task.job).toBe(jobId);
    if (task.name === "echo") {
      // Variables are replaced for the worker's platform before it gets the command.
      expect(task.commands[0]?.parameters.message).toBe("hello blender");
    }
    const update = (body: object) => w.call("POST", `/worker/task/${task.uuid}`, body);
    expect((await update({ activity: "starting", log: `running ${task.name}` })).status).toBe(204);
    const mayIRun = await w.call<Schemas["MayKeepRunning"]>("GET", `/worker/task/${task.uuid}/may-i-run`);
    expect(mayIRun.body.mayKeepRunning).toBe(true);
    expect((await update({ taskStatus: "completed", steps_completed: 1, activity: "done" })).status).toBe(
      204,
    );
    done.push(task.name);
  }
  expect(done).toEqual(["echo", "sleep", "sleep"]);

  const job = (await client(m.url)<Schemas["Job"]>("GET", `/jobs/${jobId}`)).body;
  expect(job).toMatchObject({ status: "completed", steps_completed: 3, steps_total: 3 });
  const echoTask = (await client(m.url)<Schemas["JobTasksSummary"]>("GET", `/jobs/${jobId}/tasks`)).body
    .tasks?.[0];
  expect(echoTask?.worker?.name).toBe("render-01");
  const tail = await fetch(`${m.url}/api/v3/tasks/${echoTask?.id}/logtail`);
  expect(await tail.text()).toContain("running echo");

  const jobEvents = events
    .filter((e) => e.topic === "/jobs")
    .map((e) => (e.payload as { status: string }).status);
  expect(jobEvents).toContain("active");
  expect(jobEvents.at(-1)).toBe("completed");
  const workerEvent = events.find((e) => e.topic === "/workers");
  expect(workerEvent?.payload).toMatchObject({ name: "render-01" });
});

test("a worker that goes silent is set to error and its task requeued after worker_timeout", async () => {
  const clock = new FakeClock(Date.now());
  m = await startTestManager({ clock, config: { worker_timeout: "3s", task_timeout: "1m0s" } });
  const jobId = await submitEchoJob(m.url, 0);
  const silent = await signedOnWorker(m.url, "silent-one");
  const task = (await silent.call<Schemas["AssignedTask"]>("POST", "/worker/task")).body;
  expect((await silent.call("POST", `/worker/task/${task.uuid}`, { activity: "working" })).status).toBe(204);

  // Short timeouts from the config file: first check after 5 × 3 s, then every 3 s.
  clock.advance(14_000);
  expect((await client(m.url)<Schemas["Task"]>("GET", `/tasks/${task.uuid}`)).body.status).toBe("active");
  clock.advance(1_000);
  const requeued = (await client(m.url)<Schemas["Task"]>("GET", `/tasks/${task.uuid}`)).body;
  expect(requeued.status).toBe("queued");
  const worker = (await client(m.url)<Schemas["Worker"]>("GET", `/worker-mgt/workers/${silent.id}`)).body;
  expect(worker.status).toBe("error");

  // Another worker picks the task up; the silent one recovers by signing on again.
  const other = await signedOnWorker(m.url, "backup");
  expect((await other.call<Schemas["AssignedTask"]>("POST", "/worker/task")).body.uuid).toBe(task.uuid);
  expect((await client(m.url)<Schemas["Job"]>("GET", `/jobs/${jobId}`)).body.status).toBe("active");
});
