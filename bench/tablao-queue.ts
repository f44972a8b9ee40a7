// A Manager with a large queue for the benchmarks, set up fast: a small template job goes in
// through the API, then the queue is written straight into the stopped Manager's database as
// copies of it (so the rows are what a submission stores), and the Manager starts again.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { createStressClient } from "../src/worker/stress";
import { startManager, type ManagerProcess } from "../test/support/processes";

const DATABASE_FILE = "flamenco-manager.sqlite";

/**
 * Submits one small echo-sleep-test job through the API: its job row and its sleep task are the
 * templates the queue is copied from.
 */
async function submitTemplateJob(url: string): Promise<string> {
  const submitted = await createStressClient(url).POST("/api/v3/jobs", {
    body: {
      name: "scheduler bench template",
      type: "echo-sleep-test",
      priority: 50,
      submitter_platform: "linux",
      settings: { message: "bench", sleep_duration_seconds: 1, sleep_repeats: 1 },
    },
  });
  if (!submitted.data) {
    throw new Error(
      `job submission refused: HTTP ${submitted.response.status} ${JSON.stringify(submitted.error)}`,
    );
  }
  return submitted.data.id;
}

/**
 * Writes the queue straight into the stopped Manager's database: `jobCount` copies of the
 * template job, each with `queued / jobCount` copies of its sleep task (queued, no
 * dependencies, so all runnable), one INSERT … SELECT per job; then the template job goes. The
 * task triggers keep the counters as for any insert. Submitting 1M tasks through the API would
 * take minutes, which say nothing about the scheduler.
 */
function bulkInsertQueue(
  databasePath: string,
  templateJobUUID: string,
  queued: number,
  jobCount: number,
): void {
  const sqlite = new Database(databasePath, { strict: true });
  try {
    sqlite.exec("PRAGMA foreign_keys = ON");
    const columns = (table: string, except: string[]) =>
      (sqlite.query(`PRAGMA table_info(${table})`).all() as { name: string }[])
        .map((c) => c.name)
        .filter((name) => !except.includes(name));
    const template = sqlite
      .query("SELECT id FROM jobs WHERE uuid = $uuid")
      .get({ uuid: templateJobUUID }) as {
      id: number;
    };
    const sleepTask = sqlite
      .query("SELECT id FROM tasks WHERE job_id = $job AND name <> 'echo' ORDER BY id LIMIT 1")
      .get({ job: template.id }) as { id: number };
    const jobColumns = columns("jobs", ["id", "uuid", "name"]);
    const taskColumns = columns("tasks", [
      "id",
      "uuid",
      "name",
      "job_id",
      "index_in_job",
      "unmet_dependencies",
    ]);
    const insertJob = sqlite.query(
      `INSERT INTO jobs (uuid, name, ${jobColumns.join(", ")})
       SELECT $uuid, $name, ${jobColumns.join(", ")} FROM jobs WHERE id = $template RETURNING id`,
    );
    // UUID-shaped task ids: the job's number and the task's, in the version-4 layout.
    const insertTasks = sqlite.query(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
       INSERT INTO tasks (uuid, name, job_id, index_in_job, ${taskColumns.join(", ")})
       SELECT printf('%08x-0000-4000-8000-%012x', $jobNumber, i), 'sleep ' || i, $jobId, i,
              ${taskColumns.map((c) => `t.${c}`).join(", ")}
       FROM n, tasks t WHERE t.id = $templateTask`,
    );
    const tasksPerJob = queued / jobCount;
    for (let j = 1; j <= jobCount; j++) {
      sqlite.transaction(() => {
        const job = insertJob.get({
          uuid: crypto.randomUUID(),
          name: `scheduler bench ${j}`,
          template: template.id,
        }) as { id: number };
        insertTasks.run({ count: tasksPerJob, jobNumber: j, jobId: job.id, templateTask: sleepTask.id });
      })();
    }
    sqlite.query("DELETE FROM jobs WHERE id = $id").run({ id: template.id });
    sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    sqlite.close();
  }
}

/**
 * Starts a Manager in `dir` with `queued` runnable tasks in `jobCount` jobs; `insertS` is the
 * time the queue took to write (the rest of the set-up is starting the Manager twice).
 */
export async function startQueuedManager(
  dir: string,
  queued: number,
  jobCount: number,
  /** Options for Bun itself (a profiler's) when the Manager starts with its queue. */
  bunArgs: string[] = [],
): Promise<{ manager: ManagerProcess; insertS: number }> {
  const manager = await startManager(dir, { database: DATABASE_FILE, local_manager_storage_path: "storage" });
  try {
    const templateJob = await submitTemplateJob(manager.url);
    await manager.stop();
    const insertStart = performance.now();
    bulkInsertQueue(join(dir, DATABASE_FILE), templateJob, queued, jobCount);
    const insertS = (performance.now() - insertStart) / 1000;
    await manager.restart(bunArgs);
    return { manager, insertS };
  } catch (err) {
    await manager.stop();
    throw err;
  }
}
