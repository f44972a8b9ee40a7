// Shared by the backup and integrity tests: a database file with many tasks, and a database file
// damaged on purpose.
import { Database } from "bun:sqlite";
import { closeSync, openSync, writeSync } from "node:fs";
import { createTestFarm, type TestFarm } from "../../support/builders";

/** Adds `count` queued tasks to `job` at once, copies of its task `template` (counters included). */
export function addManyTasks(farm: TestFarm, template: { id: number }, count: number): void {
  farm.sqlite
    .query(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
       INSERT INTO tasks (created_at, updated_at, uuid, name, type, job_id, index_in_job, priority,
                          status, commands, activity, steps_total)
       SELECT t.created_at, t.updated_at, lower(hex(randomblob(16))), 'task ' || n.i, t.type, t.job_id,
              t.index_in_job + n.i, t.priority, t.status, t.commands, t.activity, t.steps_total
       FROM tasks t, n WHERE t.id = $id`,
    )
    .run({ count, id: template.id });
}

/** A closed database file holding one job of `tasks` tasks, so its indexes span many pages. */
export function databaseWithTasks(path: string, tasks: number): void {
  const farm = createTestFarm({ path });
  const job = farm.addJob();
  addManyTasks(farm, farm.addTask(job), tasks - 1);
  farm.close();
}

/**
 * Overwrites the root page of the task UUID index of a closed database with garbage: the table
 * data stays readable, but the index is broken, as after a torn write.
 */
export function damageTaskIndex(path: string): void {
  const conn = new Database(path, { readonly: true });
  const { page_size: pageSize } = conn.query<{ page_size: number }, []>("PRAGMA page_size").get()!;
  const index = conn
    .query<{ rootpage: number }, []>("SELECT rootpage FROM sqlite_schema WHERE name = 'tasks_uuid_unique'")
    .get();
  conn.close();
  if (!index) throw new Error("no tasks_uuid_unique index to damage");
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (index.rootpage - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}
