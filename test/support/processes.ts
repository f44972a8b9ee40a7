// Process-level test helpers: a real Manager (`bun src/manager/main.ts --config ...`) and real workers
// (`bun src/worker/main.ts --manager ...`) as child processes in folders the test gives, each
// with its output in a log file, and one place that kills every child left running; also the
// Manager's configuration file, and its commands (`token create`, `restore`) run to their end.
// Bench and reliability scripts use them too.
import type { Subprocess } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import { TOKEN_PREFIX } from "../../src/manager/auth/secrets";
import { waitFor } from "./wait";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const SERVER_ENTRY = join(REPO_ROOT, "src/manager/main.ts");
const WORKER_ENTRY = join(REPO_ROOT, "src/worker/main.ts");
/** Workers in tests run ten times faster than Flamenco's timing (0.3 s first poll, 1 s may-i-run). */
export const TEST_WORKER_TIME_SCALE = "0.1";
const MANAGER_START_TIMEOUT_MS = 15_000;
/** After this long, a stopped child that has not exited is killed (longer than the worker's own shutdown watchdog). */
const STOP_GRACE_MS = 30_000;
/** A Manager command still running after this long is killed (and the test fails on its code). */
const COMMAND_TIMEOUT_MS = 20_000;

const children = new Set<Subprocess>();

/** SIGKILLs every child still running and waits for them; call from afterAll. */
export async function killChildren(): Promise<void> {
  const running = [...children].filter((child) => child.exitCode === null && child.signalCode === null);
  children.clear();
  for (const child of running) child.kill("SIGKILL");
  await Promise.all(running.map((child) => child.exited));
}

/** A port nobody listens on right now (bound once, then released). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Running, and not a zombie waiting for a reaper (containers often lack one). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Writes `dir/flamenco-manager.yaml` (a free port on 127.0.0.1 unless `keys` say otherwise); returns its path. */
export function writeManagerConfig(dir: string, keys: Record<string, unknown> = {}): string {
  const path = join(dir, "flamenco-manager.yaml");
  writeFileSync(
    path,
    stringify({
      _meta: { version: 3 },
      listen: keys.listen ?? `127.0.0.1:${freePort()}`,
      shared_storage_path: join(dir, "shared"),
      ...keys,
    }),
  );
  return path;
}

/** This process's environment without what would override a Manager's configuration file. */
export function managerEnv(): Record<string, string | undefined> {
  return { ...process.env, PORT: "", TABLAO_LISTEN: "", TABLAO_DATABASE: "", TABLAO_STORAGE: "" };
}

export interface CommandResult {
  /** null when it did not exit by itself within COMMAND_TIMEOUT_MS. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `bun src/manager/main.ts ARGS` in `cwd`, to its end; the environment cannot override the file. */
export async function runServerCommand(args: string[], cwd: string): Promise<CommandResult> {
  const proc = Bun.spawn([process.execPath, SERVER_ENTRY, ...args], {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: managerEnv(),
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, COMMAND_TIMEOUT_MS);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code: timedOut ? null : code, stdout, stderr };
}

/**
 * `token create` of the Manager's command line, on the configuration (and so the database) in
 * `configPath`; returns the secret.
 */
export async function createTokenWithCli(configPath: string, name: string, role: string): Promise<string> {
  const { code, stdout, stderr } = await runServerCommand(
    ["--config", configPath, "token", "create", "--name", name, "--role", role],
    dirname(configPath),
  );
  // The secret alone goes to stdout; what it is goes to stderr.
  const secret = stdout.trim();
  if (code !== 0 || !secret.startsWith(TOKEN_PREFIX))
    throw new Error(`token create exited ${code}:\n${stdout}\n${stderr}`);
  return secret;
}

/** Sends `signal`, then SIGKILL if it has not exited within STOP_GRACE_MS; resolves with its exit code. */
export async function stopProcess(proc: Subprocess, signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
  children.delete(proc);
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_GRACE_MS);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines of a log file, or "(no log)". */
export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface ManagerProcess {
  url: string;
  dir: string;
  port: number;
  proc: Subprocess;
  logPath: string;
  /** The end of the current run's output and error output. */
  log(): string;
  /** Starts it again on the same folder, database and port; `bunArgs` are options for Bun itself (a profiler's, say). */
  restart(bunArgs?: string[]): Promise<void>;
  /** Sends `signal` and waits for the exit (see stopProcess). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A Manager in the (existing) folder `dir`, with flamenco-manager.yaml keys from `config`. */
export async function startManager(
  dir: string,
  config: Record<string, unknown> = {},
  /** The address to listen on; the test still reaches it at 127.0.0.1 (so 127.0.0.1 or 0.0.0.0). */
  bind = "127.0.0.1",
  /**
   * Run it in a network namespace (`ip netns`), reached by the test at `reachAt` instead.
   * `firstRun`: no configuration file (`config` is ignored), the port from TABLAO_LISTEN.
   */
  network: { netns?: string; reachAt?: string; firstRun?: boolean } = {},
): Promise<ManagerProcess> {
  const port = freePort();
  const configArgs = network.firstRun
    ? []
    : ["--config", writeManagerConfig(dir, { listen: `${bind}:${port}`, ...config })];
  const env = network.firstRun ? { ...managerEnv(), TABLAO_LISTEN: `${bind}:${port}` } : managerEnv();
  const url = `http://${network.reachAt ?? "127.0.0.1"}:${port}`;
  const logPath = join(dir, "manager.log");
  let run = 0;
  /** `bunArgs`: options for Bun itself, before the entry point (a profiler's, say). */
  const launch = async (bunArgs: string[] = []) => {
    const inNamespace = network.netns ? ["ip", "netns", "exec", network.netns] : [];
    const proc = Bun.spawn([...inNamespace, process.execPath, ...bunArgs, SERVER_ENTRY, ...configArgs], {
      cwd: dir,
      stdin: "ignore",
      stdout: Bun.file(`${logPath}.${run}`),
      stderr: Bun.file(`${logPath}.${run++}.err`),
      env,
    });
    children.add(proc);
    const errPath = `${logPath}.${run - 1}.err`;
    void proc.exited.then((code) => {
      // An exit nobody asked for is the first thing to know when a test then times out.
      if (children.has(proc)) console.error(`Manager ${url} exited by itself (${code}):\n${tail(errPath)}`);
    });
    const answers = () =>
      fetch(`${url}/api/v3/version`).then(
        (res) => res.ok,
        () => false,
      );
    await waitFor("the Manager to answer", answers, MANAGER_START_TIMEOUT_MS);
    return proc;
  };
  const manager: ManagerProcess = {
    url,
    dir,
    port,
    logPath,
    proc: await launch(),
    log: () => [`${logPath}.${run - 1}`, `${logPath}.${run - 1}.err`].map((path) => tail(path)).join("\n"),
    async restart(bunArgs) {
      manager.proc = await launch(bunArgs);
    },
    async stop(signal = "SIGTERM") {
      await stopProcess(manager.proc, signal);
    },
  };
  return manager;
}

export interface WorkerProcess {
  name: string;
  home: string;
  proc: Subprocess;
  logPath: string;
  /** The UUID from its credentials file, once it registered. */
  workerId(): string | null;
  log(): string;
  /** Starts the worker again with the same home (and so the same identity). */
  restart(): void;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface WorkerOptions {
  name: string;
  /** An existing folder: FLAMENCO_HOME and working directory of the worker. */
  home: string;
  /** flamenco-worker.yaml keys, written to the worker's working directory (its home). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** A network namespace (`ip netns`) to run the worker in, so it calls from another address. */
  netns?: string;
}

/** `managerUrl` null: started without any URL, so the worker looks for its Manager by UPnP/SSDP. */
export function startWorker(managerUrl: string | null, opts: WorkerOptions): WorkerProcess {
  const { home } = opts;
  if (opts.config) writeFileSync(join(home, "flamenco-worker.yaml"), stringify(opts.config));
  const logPath = join(home, "worker.log");
  let run = 0;
  const launch = () => {
    const inNamespace = opts.netns ? ["ip", "netns", "exec", opts.netns] : [];
    const proc = Bun.spawn(
      [
        ...inNamespace,
        process.execPath,
        WORKER_ENTRY,
        ...(managerUrl === null ? [] : ["--manager", managerUrl]),
        "-debug",
      ],
      {
        cwd: home,
        stdin: "ignore",
        stdout: Bun.file(`${logPath}.${run}.out`),
        stderr: Bun.file(`${logPath}.${run++}`),
        env: {
          ...process.env,
          FLAMENCO_HOME: home,
          FLAMENCO_WORKER_NAME: opts.name,
          TABLAO_WORKER_TIME_SCALE: TEST_WORKER_TIME_SCALE,
          ...opts.env,
        },
      },
    );
    children.add(proc);
    const errPath = `${logPath}.${run - 1}`;
    void proc.exited.then((code) => {
      if (children.has(proc))
        console.error(`worker ${opts.name} exited by itself (${code}):\n${tail(errPath)}`);
    });
    return proc;
  };
  const worker: WorkerProcess = {
    name: opts.name,
    home,
    logPath,
    proc: launch(),
    workerId() {
      try {
        return (
          /worker_id: (\S+)/.exec(
            readFileSync(join(home, "flamenco-worker-credentials.yaml"), "utf8"),
          )?.[1] ?? null
        );
      } catch {
        return null;
      }
    },
    log() {
      return Array.from({ length: run }, (_, i) => {
        try {
          return readFileSync(`${logPath}.${i}`, "utf8");
        } catch {
          return "";
        }
      }).join("");
    },
    restart() {
      worker.proc = launch();
    },
    stop: (signal = "SIGTERM") => stopProcess(worker.proc, signal),
  };
  return worker;
}

/** JSON calls to the Manager's API from a test (the test's own calls, not the worker's). */
export function managerApi(url: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    // Callers parse what they read through a schema of the fields they check.
    const json: unknown = text ? JSON.parse(text) : null;
    return json;
  };
  return {
    get: (path: string) => call("GET", path),
    post: (path: string, body?: unknown) => call("POST", path, body),
    delete: (path: string) => call("DELETE", path),
    /** The whole task log, or "" when there is none yet. */
    async taskLog(taskId: string): Promise<string> {
      const info = await call("GET", `/api/v3/tasks/${taskId}/log`);
      if (!info || typeof info !== "object" || !("url" in info) || typeof info.url !== "string") return "";
      const res = await fetch(new URL(info.url, url));
      return res.ok ? res.text() : "";
    },
  };
}
