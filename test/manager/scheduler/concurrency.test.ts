import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { WorkerRow } from "../../../src/manager/db/schema";
import { createFarm, type Farm } from "../../support/task-farm";

const WORKERS = 50;
let farm: Farm;
let server: ReturnType<typeof Bun.serve>;
let farmWorkers: WorkerRow[];

beforeAll(() => {
  farm = createFarm();
  server = Bun.serve({ port: 0, fetch: farm.app.fetch });
  farmWorkers = Array.from({ length: WORKERS }, (_, i) => farm.addWorker({ name: `worker ${i}` }));
});
afterAll(async () => {
  await server.stop(true);
  farm.close();
});

async function pollAll(): Promise<{ worker: WorkerRow; status: number; task: string | null }[]> {
  return Promise.all(
    farmWorkers.map(async (worker) => {
      const res = await fetch(new URL("/api/v3/worker/task", server.url), {
        method: "POST",
        headers: farm.auth(worker),
      });
      const body = res.status === 200 ? ((await res.json()) as { uuid: string }) : null;
      return { worker, status: res.status, task: body?.uuid ?? null };
    }),
  );
}

test(`${WORKERS} workers polling at once over HTTP: every task goes to exactly one worker`, async () => {
  const job = farm.addJob();
  const TASKS = 30;
  const tasks = Array.from({ length: TASKS }, () => farm.addTask(job));

  const answers = await pollAll();

  const assigned = answers.filter((a) => a.status === 200);
  expect(assigned).toHaveLength(TASKS);
  expect(answers.filter((a) => a.status === 204)).toHaveLength(WORKERS - TASKS);
  expect(new Set(assigned.map((a) => a.task)).size).toBe(TASKS);
  // The database agrees with what each worker was told.
  for (const a of assigned) {
    const row = farm.db.orm.all<{ worker_id: number; status: string }>(
      sql`SELECT worker_id, status FROM tasks WHERE uuid = ${a.task}`,
    )[0];
    expect(row).toEqual({ worker_id: a.worker.id, status: "active" });
  }
  expect(new Set(tasks.map((t) => farm.task(t.id).workerId)).size).toBe(TASKS);

  // Polling again, every worker gets its own task back, and nobody gets a second one.
  const again = await pollAll();
  for (const a of again) {
    expect(a.task).toBe(assigned.find((x) => x.worker.id === a.worker.id)?.task ?? null);
  }
});
