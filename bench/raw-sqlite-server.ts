// The raw Bun+SQLite baseline of bench/scheduler.ts: the worker endpoints the stress load calls,
// each answered by one bare prepared write on a WAL SQLite file, with the Manager's pragmas — the
// ceiling for a server on the same runtime and database. A completed task is queued again (in
// the same single UPDATE), so the baseline's queue keeps its size however fast it runs.
// Run: bun bench/raw-sqlite-server.ts --database FILE --tasks N --port P
import { Database } from "bun:sqlite";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { database: { type: "string" }, tasks: { type: "string" }, port: { type: "string" } },
});
const taskCount = Number(values.tasks);
const port = Number(values.port);
if (!values.database || !Number.isInteger(taskCount) || !Number.isInteger(port)) {
  console.error("usage: bun bench/raw-sqlite-server.ts --database FILE --tasks N --port P");
  process.exit(2);
}

const db = new Database(values.database, { create: true, strict: true });
db.exec("PRAGMA busy_timeout = 20000");
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = NORMAL");
db.exec(`
  CREATE TABLE workers (uuid TEXT PRIMARY KEY, name TEXT NOT NULL, secret TEXT NOT NULL);
  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, status TEXT NOT NULL, worker TEXT,
    activity TEXT NOT NULL DEFAULT '', steps_completed INTEGER NOT NULL DEFAULT 0,
    steps_total INTEGER NOT NULL DEFAULT 1);
  CREATE INDEX tasks_queued ON tasks (id) WHERE status = 'queued';`);
const insertTask = db.prepare("INSERT INTO tasks (uuid, status) VALUES (?, 'queued')");
db.transaction(() => {
  for (let i = 0; i < taskCount; i++) insertTask.run(crypto.randomUUID());
})();

const insertWorker = db.prepare("INSERT INTO workers (uuid, name, secret) VALUES (?, ?, ?)");
const assignTask = db.prepare<{ uuid: string; steps_total: number }, [string]>(`
  UPDATE tasks SET status = 'active', worker = ?
  WHERE id = (SELECT id FROM tasks WHERE status = 'queued' ORDER BY id LIMIT 1)
  RETURNING uuid, steps_total`);
const updateTask = db.prepare(`
  UPDATE tasks SET activity = coalesce(?1, activity), steps_completed = coalesce(?2, steps_completed),
    status = CASE WHEN ?3 = 'completed' THEN 'queued' ELSE coalesce(?3, status) END
  WHERE uuid = ?4`);

const noContent = () => new Response(null, { status: 204 });
const TASK_PATH = /^\/api\/v3\/worker\/task\/([0-9a-f-]{36})$/;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    const worker = req.headers.get("authorization") ?? "";
    switch (path) {
      case "/api/v3/version":
        return Response.json({ version: "raw", shortversion: "raw", name: "raw-sqlite", git: "" });
      case "/api/v3/worker/register-worker": {
        const body = (await req.json()) as {
          name: string;
          secret: string;
          platform: string;
          supported_task_types: string[];
        };
        const uuid = crypto.randomUUID();
        insertWorker.run(uuid, body.name, body.secret);
        return Response.json({
          uuid,
          name: body.name,
          address: "",
          platform: body.platform,
          software: "",
          status: "",
          supported_task_types: body.supported_task_types,
        });
      }
      case "/api/v3/worker/sign-on":
        return Response.json({ status_requested: "awake" });
      case "/api/v3/worker/state-changed":
      case "/api/v3/worker/sign-off":
        return noContent();
      case "/api/v3/worker/task": {
        const task = assignTask.get(worker);
        if (!task) return noContent();
        return Response.json({
          uuid: task.uuid,
          job: "00000000-0000-4000-8000-000000000000",
          name: "raw",
          status: "active",
          priority: 50,
          job_priority: 50,
          job_type: "raw",
          task_type: "misc",
          commands: [],
          steps_completed: 0,
          steps_total: task.steps_total,
        });
      }
    }
    const taskId = TASK_PATH.exec(path)?.[1];
    if (taskId !== undefined && req.method === "POST") {
      const body = (await req.json()) as { activity?: string; steps_completed?: number; taskStatus?: string };
      updateTask.run(body.activity ?? null, body.steps_completed ?? null, body.taskStatus ?? null, taskId);
      return noContent();
    }
    return Response.json({ code: 404, message: "not found" }, { status: 404 });
  },
});
console.log(server.url.href);

process.on("SIGTERM", () => {
  // Not awaited: the process exits right away; stop(true) cuts the open connections.
  void server.stop(true);
  db.close();
  process.exit(0);
});
