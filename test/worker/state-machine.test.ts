import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/shared/log";
import type { WorkerStatus } from "../../src/worker/client";
import { registerOrSignOn } from "../../src/worker/registration";
import { WorkerStateMachine, type ExitReason } from "../../src/worker/state-machine";
import { runTask } from "../../src/worker/task-runner";
import { FakeClock } from "../support/fake-clock";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";
import {
  cancelJob,
  FAST_TIMINGS,
  managerClient,
  startWorkerTestManager,
  submitCommands,
  testWorker,
  type TestWorker,
  testUpstream,
  useProxiedManager,
} from "./farm";

const tempDir = tempDirs("tablao-state-machine");
const clock = new FakeClock(Date.now());
const farm = useProxiedManager(() => startWorkerTestManager({ clock, config: { worker_timeout: "1m" } }));

interface Running {
  worker: TestWorker;
  machine: WorkerStateMachine;
  shutdown: AbortController;
  exit: Promise<ExitReason>;
}
const running: Running[] = [];
const jobs: string[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.shutdown.abort();
    await r.exit;
  }
  for (const id of jobs.splice(0)) await cancelJob(farm.manager.url, id);
});

async function startMachine(opts: { canRestart?: boolean } = {}): Promise<Running> {
  const worker = await testWorker(farm.proxy.url, { canRestart: opts.canRestart, register: false });
  const initial = (await registerOrSignOn(worker.registration, new AbortController().signal)) as WorkerStatus;
  const upstream = testUpstream(worker.api, join(tempDir(), "queue.sqlite"));
  const machine = new WorkerStateMachine({
    api: worker.api,
    upstream,
    runTask: (task, signal) =>
      runTask(
        task,
        {
          api: worker.api,
          upstream,
          previews: { offer() {} },
          subprocess: {
            oomScoreAdjust: null,
            killGraceMs: 1_000,
            which: (n) => Bun.which(n),
            platform: process.platform,
          },
          mayIRunPeriodMs: FAST_TIMINGS.mayIRunPeriodMs,
          logChunkMaxAgeMs: FAST_TIMINGS.logChunkMaxAgeMs,
          log: silentLogger,
        },
        signal,
      ),
    signOnAgain: (signal) => registerOrSignOn(worker.registration, signal),
    timings: FAST_TIMINGS,
    log: silentLogger,
  });
  const shutdown = new AbortController();
  const r = { worker, machine, shutdown, exit: machine.run(initial, shutdown.signal) };
  running.push(r);
  return r;
}

const api = (path: string, body?: unknown) =>
  fetch(`${farm.manager.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
/** The worker's status as the Manager has it; undefined when it does not know the worker. */
const managerStatus = async (r: Running) => {
  const { data } = await managerClient(farm.manager.url).GET("/api/v3/worker-mgt/workers/{worker_id}", {
    params: { path: { worker_id: r.worker.workerId() } },
  });
  return data?.status;
};
const setStatus = (r: Running, status: string, isLazy = false) =>
  api(`/api/v3/worker-mgt/workers/${r.worker.workerId()}/setstatus`, { status, is_lazy: isLazy });
/** The job's status; undefined when the Manager does not know the job. */
const jobStatus = async (id: string) => {
  const { data } = await managerClient(farm.manager.url).GET("/api/v3/jobs/{job_id}", {
    params: { path: { job_id: id } },
  });
  return data?.status;
};

async function submit(message: string): Promise<string> {
  const id = await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message } }]);
  jobs.push(id);
  return id;
}

test("awake: acknowledges, runs the queued tasks one after another, and idles when there are none", async () => {
  const r = await startMachine();
  await waitFor("awake at the Manager", async () => (await managerStatus(r)) === "awake", 5_000);
  expect(r.machine.state).toBe("awake");
  const a = await submit("a");
  const b = await submit("b");
  await waitFor(
    "both jobs to complete",
    async () => (await jobStatus(a)) === "completed" && (await jobStatus(b)) === "completed",
    10_000,
  );
  r.shutdown.abort();
  expect(await r.exit).toBe("shutdown");
});

test("a requested status arrives as 423; asleep polls the Manager and wakes when asked", async () => {
  const r = await startMachine();
  await waitFor("awake", () => r.machine.state === "awake", 5_000);
  await setStatus(r, "asleep", true);
  await waitFor(
    "asleep",
    async () => r.machine.state === "asleep" && (await managerStatus(r)) === "asleep",
    5_000,
  );

  const job = await submit("while asleep");
  const before = farm.proxy.requests.length;
  await waitFor(
    "a few state polls",
    () => farm.proxy.requests.slice(before).filter((q) => q.path === "/api/v3/worker/state").length >= 3,
    5_000,
  );
  expect(await jobStatus(job)).toBe("queued");
  expect(farm.proxy.requests.slice(before).some((q) => q.path === "/api/v3/worker/task")).toBe(false);

  await setStatus(r, "awake");
  await waitFor("the job to run after waking", async () => (await jobStatus(job)) === "completed", 5_000);
  expect(r.machine.state).toBe("awake");
});

test("offline and restart requests end the state machine with that reason", async () => {
  const off = await startMachine();
  await waitFor("awake", () => off.machine.state === "awake", 5_000);
  await setStatus(off, "offline");
  expect(await off.exit).toBe("offline");

  const restartable = await startMachine({ canRestart: true });
  await waitFor("awake", () => restartable.machine.state === "awake", 5_000);
  expect((await setStatus(restartable, "restart")).status).toBe(204);
  expect(await restartable.exit).toBe("restart");
});

test("a status the worker cannot be (e.g. testing) is treated as asleep", async () => {
  const r = await startMachine();
  await waitFor("awake", () => r.machine.state === "awake", 5_000);
  let injected = false;
  farm.proxy.fail((_m, path) => {
    if (injected || path !== "/api/v3/worker/task") return null;
    injected = true;
    return Response.json({ status_requested: "testing" }, { status: 423 });
  });
  try {
    await waitFor(
      "asleep",
      async () => r.machine.state === "asleep" && (await managerStatus(r)) === "asleep",
      5_000,
    );
  } finally {
    farm.proxy.fail(null);
  }
  await setStatus(r, "awake");
  await waitFor("awake again", () => r.machine.state === "awake", 5_000);
});

test("put in error by the worker timeout (scheduleTask answers 409), it signs on again and carries on", async () => {
  const r = await startMachine();
  await waitFor("awake", async () => (await managerStatus(r)) === "awake", 5_000);
  clock.advance(2 * 60_000);
  farm.manager.manager.services.timeoutChecker.check();
  await waitFor(
    "a 409 and a new sign-on",
    async () => {
      const paths = farm.proxy.requests.map((q) => `${q.path} ${q.status}`);
      const conflict = paths.lastIndexOf("/api/v3/worker/task 409");
      return conflict >= 0 && paths.indexOf("/api/v3/worker/sign-on 200", conflict) > conflict;
    },
    5_000,
  );
  await waitFor("awake again", async () => (await managerStatus(r)) === "awake", 5_000);
  const job = await submit("after recovery");
  await waitFor("the job to complete", async () => (await jobStatus(job)) === "completed", 5_000);
});

test("credentials refused at runtime (worker deleted): it registers anew and carries on", async () => {
  const r = await startMachine();
  await waitFor("awake", () => r.machine.state === "awake", 5_000);
  const oldId = r.worker.workerId();
  await fetch(`${farm.manager.url}/api/v3/worker-mgt/workers/${oldId}`, { method: "DELETE" });
  await waitFor("a new identity", () => r.worker.workerId() !== oldId, 5_000);
  const job = await submit("new identity");
  await waitFor("the job to complete", async () => (await jobStatus(job)) === "completed", 5_000);
});

test("task updates the Manager could not take go out before the worker asks for another task", async () => {
  const r = await startMachine();
  await waitFor("awake", () => r.machine.state === "awake", 5_000);
  const busy = () => Response.json({ code: 503, message: "busy" }, { status: 503 });
  farm.proxy.fail((_m, path) => (/^\/api\/v3\/worker\/task\/[0-9a-f-]{36}$/.test(path) ? busy() : null));
  const job = await submit("queued while busy");
  const from = farm.proxy.requests.length;
  let lifted = 0;
  try {
    await waitFor(
      "several refused deliveries",
      () => farm.proxy.requests.slice(from).filter((q) => q.status === 503).length >= 4,
      5_000,
    );
    lifted = farm.proxy.requests.length;
    // While the updates wait, the worker does not ask for work (it would get this task back).
    const sinceFirst503 = farm.proxy.requests.slice(
      farm.proxy.requests.findIndex((q, i) => i >= from && q.status === 503),
    );
    expect(sinceFirst503.some((q) => q.path === "/api/v3/worker/task")).toBe(false);
  } finally {
    farm.proxy.fail(null);
  }
  await waitFor("the job to complete", async () => (await jobStatus(job)) === "completed", 5_000);
  const after = farm.proxy.requests.slice(lifted).map((q) => q.path);
  const lastUpdate = after.findLastIndex((p) => /\/worker\/task\/[0-9a-f-]{36}$/.test(p));
  const nextFetch = after.indexOf("/api/v3/worker/task");
  expect(nextFetch === -1 || nextFetch > lastUpdate).toBe(true);
});

test("shutdown ends every loop promptly", async () => {
  const r = await startMachine();
  await waitFor("awake", () => r.machine.state === "awake", 5_000);
  await setStatus(r, "asleep");
  await waitFor("asleep", () => r.machine.state === "asleep", 5_000);
  const started = performance.now();
  r.shutdown.abort();
  expect(await r.exit).toBe("shutdown");
  expect(performance.now() - started).toBeLessThan(500);
});
