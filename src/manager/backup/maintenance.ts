// Database maintenance (see docs/backups.md): a periodic integrity check, reported in the log and
// as a `/database-check` event, and scheduled online backups, `<name>-YYYYMMDD-HHMMSS.sqlite` in
// the backup folder with the newest `keep` kept. The reading is done by the maintenance thread
// (maintenance-thread.ts) on its own read-only connection, one job at a time; this service
// schedules it on the injected clock, prunes old backups and reports. A failed backup is logged
// and tried again a period later; nothing here stops the Manager.
import { readdirSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import type { Clock } from "../../shared/clock";
import type { Logger } from "../../shared/log";
import { formatDuration } from "../config/durations";
import type { EventBroker } from "../events/broker";
import { databaseCheck } from "../events/payloads";
import { fileTimestamp, isFileDatabase, parseFileTimestamp } from "../db/files";

/** The first check comes this long after start-up, then one every period. */
export const DATABASE_CHECK_FIRST_DELAY_MS = 30_000;
/** At most this many integrity and as many foreign-key findings are reported per check. */
export const DATABASE_CHECK_MAX_PROBLEMS = 100;
/** Findings quoted in the log line; the event carries all of them. */
const CHECK_PROBLEMS_LOGGED = 5;
/**
 * An overdue backup (none yet, or the last one older than the period) waits this long after
 * start-up, so it does not compete with workers signing on.
 */
export const BACKUP_START_DELAY_MS = 60_000;
/** A backup is written under its name plus this, then renamed. */
export const BACKUP_PARTIAL_SUFFIX = ".partial";
const BACKUP_EXTENSION = ".sqlite";

const THREAD_URL = new URL("./maintenance-thread.ts", import.meta.url).href;
const MiB = 1024 * 1024;

export type MaintenanceJob =
  { op: "check"; database: string; maxProblems: number } | { op: "backup"; database: string; target: string };

export type MaintenanceRequest = MaintenanceJob & { id: number };

export type MaintenanceReply =
  | { id: number; ok: true; problems: string[] }
  | { id: number; ok: true; bytes: number }
  | { id: number; ok: false; error: string };

export interface CheckResult {
  ok: boolean;
  /** SQLite's findings (integrity_check lines, orphaned rows), or why the check could not finish. */
  problems: string[];
  checkedAt: Date;
  durationMs: number;
}

export interface BackupResult {
  path: string;
  bytes: number;
  durationMs: number;
  /** Backups removed: those beyond the newest `keep`, and partial ones a killed Manager left. */
  deleted: string[];
}

export interface DatabaseMaintenanceDeps {
  /** The Manager's database; maintenance is off unless it is a file. */
  databasePath: string;
  /** 0 turns the periodic check off. */
  checkPeriodMs: number;
  backup: { periodMs: number; keep: number; path: string };
  broker: EventBroker;
  clock: Clock;
  log: Logger;
}

/** `flamenco-manager.sqlite` is backed up as `flamenco-manager-20260105-100000.sqlite`. */
function backupName(databasePath: string, at: Date): string {
  return `${backupPrefix(databasePath)}${fileTimestamp(at)}${BACKUP_EXTENSION}`;
}

function backupPrefix(databasePath: string): string {
  return `${basename(databasePath, extname(databasePath))}-`;
}

/** When a backup of this database was made, by its file name; null for any other file. */
function backupTime(databasePath: string, name: string, suffix = BACKUP_EXTENSION): Date | null {
  const prefix = backupPrefix(databasePath);
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return null;
  return parseFileTimestamp(name.slice(prefix.length, -suffix.length));
}

/** The backups of this database among a folder's file names, newest first. */
function backupsNewestFirst(databasePath: string, names: readonly string[]): string[] {
  // Fixed-width UTC time stamps: the order of the names is the order of the times.
  return names
    .filter((name) => backupTime(databasePath, name) !== null)
    .sort()
    .reverse();
}

export function createDatabaseMaintenance(deps: DatabaseMaintenanceDeps) {
  const { databasePath, clock, log, broker } = deps;
  const settings = deps.backup;
  const enabled = isFileDatabase(databasePath);
  const thread = createThreadClient(log);
  /** Jobs run one after the other, in the order asked for. */
  let queue: Promise<unknown> = Promise.resolve();
  let running = 0;
  let stopped = false;
  let checkTimer: unknown = null;
  let backupTimer: unknown = null;

  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    if (stopped) return Promise.reject(new Error("database maintenance is stopped"));
    running++;
    const result = queue.then(job).finally(() => running--);
    queue = result.catch(() => undefined);
    return result;
  }

  function requireFile(): void {
    if (!enabled) throw new Error(`the database ${databasePath} is not a file: nothing to check or back up`);
  }

  async function checkNow(): Promise<CheckResult> {
    requireFile();
    return enqueue(async () => {
      const checkedAt = clock.now();
      const startedAt = performance.now();
      const reply = await thread.request({
        op: "check",
        database: databasePath,
        maxProblems: DATABASE_CHECK_MAX_PROBLEMS,
      });
      const problems = !reply.ok
        ? [`the check could not run: ${reply.error}`]
        : "problems" in reply
          ? reply.problems
          : [];
      const result = {
        ok: problems.length === 0,
        problems,
        checkedAt,
        durationMs: performance.now() - startedAt,
      };
      report(result);
      return result;
    });
  }

  function report(result: CheckResult): void {
    const took = seconds(result.durationMs);
    if (result.ok) log("debug", `database check: ${databasePath} is fine (${took})`);
    else {
      const quoted = result.problems.slice(0, CHECK_PROBLEMS_LOGGED).join("; ");
      const more = result.problems.length > CHECK_PROBLEMS_LOGGED ? "; ..." : "";
      log(
        "error",
        `database check: ${databasePath} has ${result.problems.length} problem(s) (${took}): ${quoted}${more}. ` +
          `Stop the Manager and restore a backup (npm run server -- restore FILE), see docs/backups.md`,
      );
    }
    broker.publish(databaseCheck(result));
  }

  async function backupNow(): Promise<BackupResult> {
    requireFile();
    return enqueue(async () => {
      const target = join(settings.path, backupName(databasePath, clock.now()));
      const startedAt = performance.now();
      const reply = await thread.request({ op: "backup", database: databasePath, target });
      if (!reply.ok) throw new Error(`database backup to ${target} failed: ${reply.error}`);
      const bytes = "bytes" in reply ? reply.bytes : 0;
      const durationMs = performance.now() - startedAt;
      const deleted = await prune();
      log(
        "info",
        `database backup: ${target} (${(bytes / MiB).toFixed(1)} MiB in ${seconds(durationMs)})` +
          (deleted.length
            ? `; removed ${deleted.length} old or partial backup(s), keeping ${settings.keep}`
            : ""),
      );
      return { path: target, bytes, durationMs, deleted };
    });
  }

  /**
   * Deletes this database's backups beyond the newest `keep`, and partial ones a killed Manager
   * left (none is being written: jobs run one at a time). A file that will not go is logged.
   */
  async function prune(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(settings.path);
    } catch (err) {
      log("warn", `database backup: cannot list ${settings.path}: ${(err as Error).message}`);
      return [];
    }
    const partial = BACKUP_EXTENSION + BACKUP_PARTIAL_SUFFIX;
    const doomed = [
      ...backupsNewestFirst(databasePath, names).slice(settings.keep),
      ...names.filter((name) => backupTime(databasePath, name, partial) !== null),
    ];
    const deleted: string[] = [];
    for (const name of doomed) {
      const path = join(settings.path, name);
      try {
        await rm(path);
        deleted.push(path);
      } catch (err) {
        log("warn", `database backup: cannot remove ${path}: ${(err as Error).message}`);
      }
    }
    return deleted;
  }

  function scheduleCheck(delayMs: number): void {
    checkTimer = clock.setTimeout(() => {
      checkTimer = null;
      void checkNow()
        .catch((err: Error) => log("error", `database check: ${err.message}`))
        .finally(() => {
          if (!stopped) scheduleCheck(deps.checkPeriodMs);
        });
    }, delayMs);
  }

  function scheduleBackup(delayMs: number): void {
    backupTimer = clock.setTimeout(() => {
      backupTimer = null;
      void backupNow()
        .catch((err: Error) =>
          log("error", `${err.message}; next attempt in ${formatDuration(settings.periodMs)}`),
        )
        .finally(() => {
          if (!stopped) scheduleBackup(settings.periodMs);
        });
    }, delayMs);
  }

  /** Until the next backup: a period after the newest one there is, at least the start-up delay. */
  function firstBackupDelayMs(): number {
    let names: string[] = [];
    try {
      names = readdirSync(settings.path);
    } catch {
      // No folder yet: no backup yet.
    }
    const newest = backupsNewestFirst(databasePath, names)[0];
    const last = newest ? backupTime(databasePath, newest) : null;
    const due = last ? last.getTime() + settings.periodMs - clock.now().getTime() : 0;
    return Math.max(BACKUP_START_DELAY_MS, due);
  }

  return {
    /** Schedules the check and the backups the configuration asks for. */
    start(): void {
      if (!enabled) {
        log("info", `database ${databasePath} is not a file: no integrity checks or backups`);
        return;
      }
      if (deps.checkPeriodMs > 0) scheduleCheck(Math.min(DATABASE_CHECK_FIRST_DELAY_MS, deps.checkPeriodMs));
      if (settings.periodMs > 0) scheduleBackup(firstBackupDelayMs());
    },

    /** Integrity and foreign-key check now (after any job in progress); also reported. */
    checkNow,

    /**
     * A backup now (after any job in progress), pruned like a scheduled one; rejects with the
     * reason when it fails, which the caller reports (only scheduled backups log their failures).
     */
    backupNow,

    /** Cancels what is scheduled and waits for a job in progress: the thread cannot be cut short safely. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      for (const timer of [checkTimer, backupTimer]) if (timer !== null) clock.clearTimeout(timer);
      if (running > 0) log("info", "waiting for the database check or backup in progress to finish");
      await queue;
      thread.close();
    },
  };
}

export type DatabaseMaintenance = ReturnType<typeof createDatabaseMaintenance>;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Bun's Worker can stop (and resume) keeping the process alive. */
type BunWorker = Worker & { ref(): void; unref(): void };

/** The maintenance thread, started on first use; one request at a time (the service's queue). */
function createThreadClient(log: Logger) {
  let worker: BunWorker | null = null;
  let nextId = 1;
  let pending: { id: number; resolve: (reply: MaintenanceReply) => void } | null = null;

  function thread(): BunWorker {
    if (worker) return worker;
    const created = new Worker(THREAD_URL) as BunWorker;
    created.onmessage = (event: MessageEvent<MaintenanceReply>) => {
      if (pending?.id !== event.data.id) return;
      const { resolve } = pending;
      pending = null;
      created.unref(); // An idle thread must not keep the process alive.
      resolve(event.data);
    };
    created.onerror = (event) => {
      // A crashed thread answers nothing: fail what it had; the next request starts a new one.
      event.preventDefault();
      log("warn", `database maintenance thread failed: ${event.message}`);
      if (worker === created) worker = null;
      created.terminate();
      const failed = pending;
      pending = null;
      failed?.resolve({ id: failed.id, ok: false, error: `maintenance thread failed: ${event.message}` });
    };
    worker = created;
    return created;
  }

  return {
    request(job: MaintenanceJob): Promise<MaintenanceReply> {
      const id = nextId++;
      const reply = new Promise<MaintenanceReply>((resolve) => (pending = { id, resolve }));
      const w = thread();
      w.ref();
      w.postMessage({ ...job, id } satisfies MaintenanceRequest);
      return reply;
    },
    close(): void {
      worker?.terminate();
      worker = null;
    },
  };
}
