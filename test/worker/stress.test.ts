import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createStressClient,
  identitiesFor,
  loadIdentities,
  parseStressArgs,
  runStress,
  saveIdentities,
} from "../../src/worker/stress";
import { startTestManager, type TestManager } from "../support/manager";
import { tempDirs } from "../support/temp-dirs";

const tempDir = tempDirs("tablao-stress");

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A Manager with `jobs` echo-sleep-test jobs queued. */
async function managerWithJobs(jobs: number, sleepRepeats: number): Promise<TestManager> {
  const tm = await startTestManager();
  cleanups.push(() => tm.destroy());
  const client = createStressClient(tm.url);
  for (let i = 0; i < jobs; i++) {
    const r = await client.POST("/api/v3/jobs", {
      body: {
        name: `stress ${i}`,
        type: "echo-sleep-test",
        priority: 50,
        submitter_platform: "linux",
        settings: { message: "stress", sleep_duration_seconds: 1, sleep_repeats: sleepRepeats },
      },
    });
    expect(r.response.status).toBe(200);
  }
  return tm;
}

async function taskStatuses(tm: TestManager): Promise<string[]> {
  const client = createStressClient(tm.url);
  const jobs = await client.GET("/api/v3/jobs");
  const statuses: string[] = [];
  for (const job of jobs.data!.jobs) {
    const tasks = await client.GET("/api/v3/jobs/{job_id}/tasks", { params: { path: { job_id: job.id } } });
    statuses.push(...tasks.data!.tasks.map((t) => t.status));
  }
  return statuses;
}

describe("runStress against a real Manager", () => {
  test("cycle mode: fake workers get tasks, report on them and complete them", async () => {
    const tm = await managerWithJobs(1, 500);
    const credentialsPath = join(tempDir(), "stresser.csv");
    const report = await runStress({
      managerURL: tm.url,
      workers: 4,
      durationMs: 2_000,
      mode: "cycle",
      updatesPerTask: 2,
      credentialsPath,
    });

    expect(report.workersRunning).toBe(4);
    expect(report.workerErrors).toEqual([]);
    expect(report.failed).toBe(0);
    // Throughput is measured by bench/scheduler.ts; here some work getting done is enough.
    expect(report.completedTasks).toBeGreaterThan(0);
    expect(report.assignments).toBeGreaterThanOrEqual(report.completedTasks);
    // Two progress updates and one completion per task.
    expect(report.taskUpdates).toBeGreaterThanOrEqual(3 * report.completedTasks);
    expect(report.requests).toBe(report.latency.all.count);
    expect(report.statusCodes["scheduleTask 200"]).toBe(report.assignments);
    expect(report.assignmentsPerS).toBeGreaterThan(0);
    expect(report.latency.taskUpdate.p50Ms).toBeGreaterThan(0);
    expect(report.latency.all.p99Ms).toBeGreaterThanOrEqual(report.latency.all.p50Ms);

    // The Manager agrees: the counted completions really happened (more may have finished after
    // the end of the measurement), and the fake workers signed off at the end.
    const completed = (await taskStatuses(tm)).filter((s) => s === "completed").length;
    expect(completed).toBeGreaterThanOrEqual(report.completedTasks);
    const workers = await createStressClient(tm.url).GET("/api/v3/worker-mgt/workers");
    expect(workers.data!.workers.map((w) => w.status)).toEqual(["offline", "offline", "offline", "offline"]);
  });

  test("update mode hammers one task per fake worker; a second run reuses the saved identities", async () => {
    const tm = await managerWithJobs(2, 0);
    const credentialsPath = join(tempDir(), "stresser.csv");
    const run = (durationMs: number) =>
      runStress({ managerURL: tm.url, workers: 2, durationMs, mode: "update", credentialsPath });

    // Long enough for both fake workers to start, however the start-up stagger falls.
    const first = await run(1_500);
    expect(first.assignments).toBe(2);
    expect(first.taskUpdates).toBeGreaterThan(0);
    expect(first.failed).toBe(0);
    const saved = loadIdentities(credentialsPath);
    expect(saved.map((id) => id.name)).toEqual(["stresser 1", "stresser 2"]);

    await run(100);
    expect(loadIdentities(credentialsPath)).toEqual(saved);
    const workers = await createStressClient(tm.url).GET("/api/v3/worker-mgt/workers");
    expect(workers.data!.workers.map((w) => w.id).sort()).toEqual(saved.map((id) => id.uuid).sort());
  });

  test("fails clearly when no fake worker can reach the Manager", async () => {
    const tm = await startTestManager();
    const url = tm.url;
    await tm.destroy();
    const run = runStress({
      managerURL: url,
      workers: 2,
      durationMs: 100,
      mode: "cycle",
      credentialsPath: null,
    });
    await expect(run).rejects.toThrow("no fake worker could start");
  });
});

describe("stresser identities", () => {
  test("keeps stored rows, makes up the missing ones, and round-trips the CSV", () => {
    const path = join(tempDir(), "ids", "stresser.csv");
    expect(loadIdentities(path)).toEqual([]);
    const stored = { name: "stresser 1", uuid: "0f9f6f2e-8b9a-4a3e-9d8c-2f4b1e6a7c5d", secret: "s3cret" };
    const ids = identitiesFor([stored], 3);
    expect(ids[0]).toEqual(stored);
    expect(ids.slice(1).map((id) => [id.name, id.secret])).toEqual([
      ["stresser 2", "password-2"],
      ["stresser 3", "password-3"],
    ]);
    expect(new Set(ids.map((id) => id.uuid)).size).toBe(3);
    saveIdentities(path, ids);
    expect(loadIdentities(path)).toEqual(ids);
    expect(identitiesFor(ids, 2)).toHaveLength(3);
  });

  test("refuses a file that is not Flamenco's stresser CSV", () => {
    const path = join(tempDir(), "bad.csv");
    writeFileSync(path, "name;uuid\nx;y\n");
    expect(() => loadIdentities(path)).toThrow('expected the header "Name,UUID,Secret"');
  });
});

describe("parseStressArgs", () => {
  test("defaults match Flamenco's stresser", () => {
    expect(parseStressArgs([])).toMatchObject({
      managerURL: "http://localhost:8080/",
      workers: 1,
      mode: "update",
      credentialsPath: "stresser.csv",
    });
  });

  test("reads every flag", () => {
    const opts = parseStressArgs([
      "--manager",
      "http://127.0.0.1:9000",
      "--workers",
      "20",
      "--duration",
      "2.5",
      "--warmup",
      "1",
      "--mode",
      "cycle",
      "--updates",
      "4",
      "--credentials",
      "/tmp/x.csv",
    ]);
    expect(opts).toEqual({
      managerURL: "http://127.0.0.1:9000",
      workers: 20,
      durationMs: 2_500,
      warmupMs: 1_000,
      mode: "cycle",
      updatesPerTask: 4,
      credentialsPath: "/tmp/x.csv",
    });
  });

  test("explains bad values", () => {
    expect(() => parseStressArgs(["--workers", "0"])).toThrow("--workers must be an integer of at least 1");
    expect(() => parseStressArgs(["--workers", "2.5"])).toThrow("--workers must be an integer");
    expect(() => parseStressArgs(["--mode", "fast"])).toThrow(
      "--mode must be one of update, schedule, cycle",
    );
    expect(() => parseStressArgs(["--manager", "localhost"])).toThrow("--manager must be an http(s) URL");
    expect(() => parseStressArgs(["--manager", "localhost:8080"])).toThrow(
      "--manager must be an http(s) URL",
    );
    expect(() => parseStressArgs(["--frobnicate"])).toThrow();
  });
});
