import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/shared/log";
import { createManagerClient, type ManagerApi } from "../../src/worker/client";
import { openUpdateQueueDb, Upstream } from "../../src/worker/upstream";
import { freePort } from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";
import {
  startWorkerTestManager,
  submitCommands,
  takeTask,
  taskJson,
  taskLog,
  testWorker,
  type TestWorker,
  testUpstream,
  useProxiedManager,
} from "./farm";

const tempDir = tempDirs("tablao-upstream");

function upstreamFor(api: ManagerApi, dbPath = join(tempDir(), "q.sqlite")): Upstream {
  return testUpstream(api, dbPath);
}

describe("with the Manager reachable", () => {
  const farm = useProxiedManager();
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await testWorker(farm.proxy.url);
  });

  test("updates are delivered in order and the queue is left empty", async () => {
    await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message: "x" } }]);
    const task = await takeTask(worker);
    const upstream = upstreamFor(worker.api);
    expect(await upstream.send(task.uuid, { activity: "Started", taskStatus: "active" })).toEqual({
      kind: "delivered",
    });
    const logs = await Promise.all(["one", "two", "three"].map((l) => upstream.send(task.uuid, { log: l })));
    expect(logs.every((d) => d.kind === "delivered")).toBe(true);
    expect(await upstream.send(task.uuid, { activity: "Completed", taskStatus: "completed" })).toEqual({
      kind: "delivered",
    });
    expect(upstream.pending()).toBe(0);
    expect((await taskJson(farm.manager.url, task.uuid)).status).toBe("completed");
    expect(await taskLog(farm.manager.url, task.uuid)).toContain("one\ntwo\nthree\n");
    // Absent fields are absent, not null, on the wire.
    const sent = farm.proxy.requests
      .filter((r) => r.path === `/api/v3/worker/task/${task.uuid}`)
      .map((r) => new TextDecoder().decode(r.body));
    expect(sent[0]).toBe('{"activity":"Started","taskStatus":"active"}');
    expect(sent[1]).toBe('{"log":"one"}');
    await upstream.close(100);
  });

  test("a busy Manager (503) keeps the update queued; it goes out on a retry", async () => {
    await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message: "x" } }]);
    const task = await takeTask(worker);
    const upstream = upstreamFor(worker.api);
    farm.proxy.fail((_m, path) =>
      path.startsWith("/api/v3/worker/task/") ? Response.json({ message: "busy" }, { status: 503 }) : null,
    );
    expect(await upstream.send(task.uuid, { log: "while busy" })).toEqual({ kind: "queued" });
    // Known to be unavailable: the next update does not wait for an answer.
    expect(await upstream.send(task.uuid, { log: "also while busy" })).toEqual({ kind: "queued" });
    expect(upstream.pending()).toBe(2);
    farm.proxy.fail(null);
    await waitFor("the retry to deliver", () => upstream.pending() === 0, 5_000);
    expect(await taskLog(farm.manager.url, task.uuid)).toContain("while busy\nalso while busy\n");
    await upstream.close(100);
  });

  test("an update the Manager refuses (409: not this worker's task) is dropped, and later ones still go", async () => {
    await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message: "x" } }]);
    const other = await testWorker(farm.proxy.url, { name: "other" });
    const othersTask = await takeTask(other);
    await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message: "x" } }]);
    const mine = await takeTask(worker);

    const upstream = upstreamFor(worker.api);
    const refused = await upstream.send(othersTask.uuid, { log: "not mine" });
    expect(refused).toMatchObject({ kind: "refused", status: 409 });
    expect(await upstream.send(mine.uuid, { log: "mine" })).toEqual({ kind: "delivered" });
    expect(upstream.pending()).toBe(0);
    expect(await taskLog(farm.manager.url, othersTask.uuid)).not.toContain("not mine");
    await upstream.close(100);
  });

  test("late updates for a finished task are dropped, said once at info", async () => {
    await submitCommands(farm.manager.url, [{ name: "echo", parameters: { message: "x" } }]);
    const task = await takeTask(worker);
    const lines: string[] = [];
    const upstream = new Upstream({
      db: openUpdateQueueDb(join(tempDir(), "q.sqlite")),
      api: worker.api,
      log: createLogger("debug", (s) => void lines.push(s)),
      retryMinMs: 10,
      retryMaxMs: 40,
    });
    await upstream.send(task.uuid, { activity: "Completed", taskStatus: "completed" });
    for (const text of ["late 1", "late 2", "late 3"]) {
      expect(await upstream.send(task.uuid, { log: text })).toMatchObject({ kind: "refused", status: 409 });
    }
    const said = lines.filter((l) => l.includes(task.uuid));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`INFO  task ${task.uuid} is no longer this worker's (`);
    expect(upstream.pending()).toBe(0);
    await upstream.close(100);
  });

  test("rejected credentials (403) keep updates queued and say so", async () => {
    const stranger = createManagerClient({
      baseUrl: farm.manager.url,
      credentials: () => ({ workerId: crypto.randomUUID(), secret: "x" }),
      timeoutMs: 5_000,
    });
    const upstream = upstreamFor(stranger);
    expect(await upstream.send(crypto.randomUUID(), { log: "x" })).toEqual({ kind: "queued" });
    expect(await upstream.flush()).toBe("unauthorized");
    expect(upstream.pending()).toBe(1);
    await upstream.close(50);
  });
});

test("Manager down: updates wait in the database, survive a worker restart, and go out once, in order", async () => {
  const dir = tempDir();
  const port = freePort();
  const config = { listen: `127.0.0.1:${port}` };
  let manager = await startWorkerTestManager({ dir, config });
  const worker = await testWorker(manager.url);
  await submitCommands(manager.url, [{ name: "echo", parameters: { message: "x" } }]);
  const task = await takeTask(worker);
  const dbPath = join(dir, "worker-queue.sqlite");

  const first = upstreamFor(worker.api, dbPath);
  expect(await first.send(task.uuid, { activity: "Started", taskStatus: "active" })).toEqual({
    kind: "delivered",
  });
  await manager.stop();
  for (const line of ["a", "b", "c"])
    expect(await first.send(task.uuid, { log: line })).toEqual({ kind: "queued" });
  expect(await first.send(task.uuid, { activity: "Completed", taskStatus: "completed" })).toEqual({
    kind: "queued",
  });
  expect(await first.flush()).toBe("unreachable");
  await first.close(50);

  const second = upstreamFor(worker.api, dbPath);
  expect(second.pending()).toBe(4);
  manager = await startWorkerTestManager({ dir, config });
  try {
    expect(await second.flush()).toBe("drained");
    expect(second.pending()).toBe(0);
    const log = await taskLog(manager.url, task.uuid);
    expect(log).toContain("a\nb\nc\n");
    expect(log.match(/^a$/gm)).toHaveLength(1);
    expect((await taskJson(manager.url, task.uuid)).status).toBe("completed");
    await second.close(100);
  } finally {
    await manager.destroy();
  }
});

test("a damaged queue database is refused with a clear error", () => {
  const path = join(tempDir(), "broken.sqlite");
  writeFileSync(
    path,
    "this is not a database, just text that is long enough to look like a header".repeat(100),
  );
  expect(() => openUpdateQueueDb(path)).toThrow();
});
