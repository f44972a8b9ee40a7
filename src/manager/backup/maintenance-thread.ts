// The database maintenance thread: integrity checks and backups (VACUUM INTO) on a read-only
// connection of its own, so that reading the whole database never runs on the thread that
// answers HTTP requests. In WAL mode this reader does not block the Manager's writes, nor they
// it. One request at a time; scheduling, retention and reporting stay with the service in
// src/manager/backup/maintenance.ts.
import { Database } from "bun:sqlite";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { foreignKeyProblems, integrityProblems } from "../db/integrity";
import {
  BACKUP_PARTIAL_SUFFIX,
  MAINTENANCE_BUSY_TIMEOUT_MS,
  type MaintenanceReply,
  type MaintenanceRequest,
} from "./maintenance";

declare const self: Worker;

function openReadOnly(database: string): Database {
  const conn = new Database(database, { readonly: true });
  // A WAL reader waits only in rare moments (the WAL being reset or recovered).
  conn.exec(`PRAGMA busy_timeout = ${MAINTENANCE_BUSY_TIMEOUT_MS}`);
  return conn;
}

/** What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` found; empty when all is well. */
function check(database: string, maxProblems: number): string[] {
  const problems: string[] = [];
  let conn: Database | null = null;
  try {
    conn = openReadOnly(database);
    problems.push(...integrityProblems(conn, maxProblems));
    problems.push(...foreignKeyProblems(conn, maxProblems));
  } catch (err) {
    // A page too damaged to read stops the check (SQLITE_CORRUPT): that is a finding too.
    problems.push(`the check could not finish: ${(err as Error).message}`);
  } finally {
    conn?.close();
  }
  return problems;
}

/**
 * A consistent copy of the database at `target`: written under a temporary name, flushed to disk
 * (VACUUM INTO does not sync its output), then renamed, so `target` is complete or absent.
 */
function backup(database: string, target: string): number {
  const partial = target + BACKUP_PARTIAL_SUFFIX;
  mkdirSync(dirname(target), { recursive: true });
  rmSync(partial, { force: true }); // VACUUM INTO refuses to overwrite
  const conn = openReadOnly(database);
  try {
    conn.query("VACUUM INTO ?").run(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    conn.close();
  }
  const fd = openSync(partial, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, target);
  return statSync(target).size;
}

self.onmessage = (event: MessageEvent<MaintenanceRequest>) => {
  const request = event.data;
  let reply: MaintenanceReply;
  try {
    reply =
      request.op === "check"
        ? { id: request.id, ok: true, problems: check(request.database, request.maxProblems) }
        : { id: request.id, ok: true, bytes: backup(request.database, request.target) };
  } catch (err) {
    reply = { id: request.id, ok: false, error: (err as Error).message };
  }
  self.postMessage(reply);
};
