// A real Manager for a reliability scenario: `bun src/manager/main.ts --config FILE` as a child
// process in its own temp folder (configuration, database and storage all inside it), listening
// on 127.0.0.1 only. It can be killed with SIGKILL and started again on the same folder and port,
// and a start that fails is reported, not thrown: a Manager that will not come back after a
// crash is one of the things the suite looks for.
import type { Subprocess } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVER_ENTRY, freePort, managerEnv, tail, writeManagerConfig } from "../test/support/processes";

/** Generous: a start-up also builds the dashboard bundle, and a machine under test is busy. */
export const MANAGER_START_TIMEOUT_MS = 20_000;
/** After SIGTERM, the Manager writes out queued log text and checkpoints; then it is killed. */
const STOP_GRACE_MS = 20_000;
const READY_POLL_MS = 20;
const READY_PROBE_TIMEOUT_MS = 1_000;

/** Every Manager child still running, so that an interrupted run leaves none behind. */
const running = new Set<Subprocess>();

/** SIGKILLs every Manager this process started that still runs. */
export function killAllManagers(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export type StartResult = { ok: true; ms: number } | { ok: false; reason: string };

export interface ManagerProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The folder holding configuration, database and storage. */
  dir: string;
  configPath: string;
  databasePath: string;
  storagePath: string;
  /** The running process's id (for /proc), or null when none runs. */
  pid(): number | null;
  /** Starts it (again) on the same folder and port. */
  start(): Promise<StartResult>;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (SIGKILL after a grace period); resolves with the exit code, or the signal's name. */
  stop(): Promise<number | string>;
  /** The end of the current (or last) run's error output and output. */
  logTail(lines?: number): string;
  /** Everything every run wrote, output and error output. */
  logText(): string;
}

/** A fresh folder under the system temp folder for one scenario run; `remove()` deletes it. */
export function scenarioFolder(name: string): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), `tablao-reliability-${name}-`));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A Manager in `root/manager` (created), with extra flamenco-manager.yaml keys from `config`. */
export function createManagerProcess(root: string, config: Record<string, unknown> = {}): ManagerProcess {
  const dir = join(root, "manager");
  mkdirSync(dir, { recursive: true });
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const databasePath = join(dir, "flamenco-manager.sqlite");
  const storagePath = join(dir, "storage");
  const configPath = writeManagerConfig(dir, {
    listen: `127.0.0.1:${port}`,
    database: databasePath,
    local_manager_storage_path: storagePath,
    ...config,
  });
  let proc: Subprocess | null = null;
  let run = 0;
  const outPath = (i: number) => join(dir, `manager.${i}.log`);
  const errPath = (i: number) => join(dir, `manager.${i}.err`);

  const answers = async () => {
    try {
      const res = await fetch(`${url}/api/v3/version`, {
        signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  };

  const manager: ManagerProcess = {
    url,
    port,
    dir,
    configPath,
    databasePath,
    storagePath,
    pid: () => (proc && proc.exitCode === null && proc.signalCode === null ? proc.pid : null),
    async start() {
      if (manager.pid() !== null) throw new Error("the Manager is already running");
      const startedAt = performance.now();
      const i = run++;
      const child = Bun.spawn([process.execPath, SERVER_ENTRY, "--config", configPath], {
        cwd: dir,
        stdin: "ignore",
        stdout: Bun.file(outPath(i)),
        stderr: Bun.file(errPath(i)),
        // The folder's configuration, not the caller's environment, says where everything is.
        env: managerEnv(),
      });
      proc = child;
      running.add(child);
      void child.exited.then(() => running.delete(child));
      const deadline = startedAt + MANAGER_START_TIMEOUT_MS;
      while (performance.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
          proc = null;
          return {
            ok: false,
            reason: `exited during start-up (${child.exitCode ?? child.signalCode}): ${tail(errPath(i), 5)}`,
          };
        }
        if (await answers()) return { ok: true, ms: performance.now() - startedAt };
        await Bun.sleep(READY_POLL_MS);
      }
      child.kill("SIGKILL");
      await child.exited;
      proc = null;
      return {
        ok: false,
        reason: `no answer within ${MANAGER_START_TIMEOUT_MS} ms: ${tail(errPath(i), 5)} ${tail(outPath(i), 5)}`,
      };
    },
    async kill9() {
      const child = proc;
      if (!child) return;
      child.kill("SIGKILL");
      await child.exited;
      proc = null;
    },
    async stop() {
      const child = proc;
      if (!child) return "not running";
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      try {
        await child.exited;
      } finally {
        clearTimeout(timer);
        proc = null;
      }
      return child.exitCode ?? child.signalCode ?? "unknown";
    },
    logTail(lines = 20) {
      const i = Math.max(0, run - 1);
      return `${tail(errPath(i), lines)}\n${tail(outPath(i), lines)}`;
    },
    logText() {
      const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
      return Array.from({ length: run }, (_, i) => read(errPath(i)) + read(outPath(i))).join("");
    },
  };
  return manager;
}
