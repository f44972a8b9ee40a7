// Starts a real Manager for integration tests: a SQLite file and storage in a fresh temp dir,
// the configuration from a real flamenco-manager.yaml, and Bun.serve on a free port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/shared/clock";
import { loadConfig, type LoadConfigOptions } from "../../src/manager/config";
import { silentLogger, type Logger } from "../../src/shared/log";
import { createManager, type Manager } from "../../src/manager/manager";
import { serveManager } from "../../src/manager/bun-serve";
import { buildWebAssets, type WebAsset } from "../../src/manager/web-assets";
import { writeManagerConfig } from "./processes";

export interface TestManagerOptions {
  /** Keys of flamenco-manager.yaml, merged over `_meta.version: 3` and `listen: 127.0.0.1:0`. */
  config?: Record<string, unknown>;
  clock?: Clock;
  logger?: Logger;
  /** Build and serve the web dashboard (slower; only browser tests need it). */
  web?: boolean;
  /** Reuse this folder (e.g. to restart a Manager on the same database). */
  dir?: string;
  /** Call manager.start() (background loops, start-up repair). Default true. */
  start?: boolean;
  /** No flamenco-manager.yaml (`config` is ignored): a first run, as on a fresh install. */
  firstRun?: boolean;
  /** The Manager's environment (PATH for its Blender search); default this process's. */
  env?: Record<string, string | undefined>;
}

export interface TestManager {
  url: string;
  dir: string;
  manager: Manager;
  /** Stops the server and the Manager; keeps the folder. */
  stop(): Promise<void>;
  /** stop() and remove the folder. */
  destroy(): Promise<void>;
}

let webAssets: Promise<Map<string, WebAsset>> | null = null;

export async function startTestManager(opts: TestManagerOptions = {}): Promise<TestManager> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "tablao-test-"));
  // A first run has no file to name the port: the environment does, as TABLAO_LISTEN would.
  const loadOptions: LoadConfigOptions = opts.firstRun
    ? { cwd: dir, env: { TABLAO_LISTEN: "127.0.0.1:0" } }
    : { configPath: writeManagerConfig(dir, { listen: "127.0.0.1:0", ...opts.config }), cwd: dir, env: {} };
  const config = loadConfig(loadOptions);
  const manager = createManager({
    config,
    // As the server does: getConfiguration re-reads the file, which a first run's assistant writes.
    reloadConfig: () => loadConfig(loadOptions),
    cwd: dir,
    env: { ...(opts.env ?? process.env), ...loadOptions.env },
    clock: opts.clock,
    logger: opts.logger ?? silentLogger,
    webAssets: opts.web ? await (webAssets ??= buildWebAssets()) : undefined,
  });
  const server = serveManager(manager, config.listen);
  if (opts.start !== false) manager.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    manager.webSocket.closeAll();
    await server.stop(true);
    await manager.stop();
  };
  return {
    url: server.url.href.replace(/\/$/, ""),
    dir,
    manager,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
