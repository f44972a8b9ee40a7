// The database maintenance thread: integrity checks and backups (VACUUM INTO) on a read-only
// connection of its own, so that reading the whole database never runs on the thread that
// answers HTTP requests. In WAL mode this reader does not block the Manager's writes, nor they
// it. One request at a time; scheduling, retention and reporting stay with the service in
// src/manager/backup/maintenance.ts.
import type { Database } from "bun:sqlite";
import { mkdirSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { copyDatabase, openReader } from "../db/files";
import { foreignKeyProblems, integrityProblems } from "../db/integrity";
import { BACKUP_PARTIAL_SUFFIX, type MaintenanceReply, type MaintenanceRequest } from "./maintenance";

declare const self: Worker;

/** What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` found; empty when all is well. */
function check(database: string, maxProblems: number): string[] {
  const problems: string[] = [];
  let conn: Database | null = null;
  try {
    conn = openReader(database);
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

/** A copy of the database at `target`, written under a temporary name then renamed: complete or absent. */
function backup(database: string, target: string): number {
  const partial = target + BACKUP_PARTIAL_SUFFIX;
  mkdirSync(dirname(target), { recursive: true });
  const conn = openReader(database);
  try {
    copyDatabase(conn, partial);
  } finally {
    conn.close();
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
