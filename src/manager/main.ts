// `bun run server`: reads the configuration, locks and opens the database, starts the Manager
// and serves it until SIGINT/SIGTERM, then lets requests in flight finish, closes the database
// and lets go of the lock.
import { networkInterfaces } from "node:os";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type LoadConfigOptions } from "./config";
import { createLogger } from "../shared/log";
import { createManager } from "./manager";
import { LockError, lockManagerFiles } from "./db/lock";
import { serveManager } from "./bun-serve";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../shared/version";
import { buildWebAssets } from "./web-assets";
import { runRestoreCommand } from "./cli/restore";
import { runTokenCommand } from "./cli/token";
import { runShamanGcCommand } from "./cli/shaman-gc";
import { openSsdpSocket } from "./autodiscovery/udp-socket";

/** Lets WebSocket clients receive the shutdown event before their connection closes. */
export const SHUTDOWN_GRACE_MS = 500;

const USAGE = `Usage: npm run server -- [--config FILE] [COMMAND ...]

  --config FILE   read FILE instead of flamenco-manager.yaml in the working directory
  --help          show this text

Commands (without one, the Manager serves):
  token create --name NAME --role ROLE [--expires DURATION]   make an API token, print it once
  token list                                                 list tokens (never their secret)
  token revoke NAME                                          revoke a token
  restore FILE                                               replace the database with a backup
  shaman-gc [--dry-run]                                      delete unused Shaman files (or list them)

Environment: TABLAO_LISTEN (e.g. :8080 or 127.0.0.1:8080), PORT, TABLAO_DATABASE, TABLAO_STORAGE.`;

async function main(): Promise<number> {
  const argv = Bun.argv.slice(2);
  // Options before the first word belong to the Manager, the rest to the command.
  const commandAt = argv.findIndex((a, i) => !a.startsWith("-") && argv[i - 1] !== "--config");
  const [command, ...commandArgs] = commandAt === -1 ? [] : argv.slice(commandAt);
  let args;
  try {
    args = parseArgs({
      args: commandAt === -1 ? argv : argv.slice(0, commandAt),
      options: { config: { type: "string" }, help: { type: "boolean" } },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }

  const loadOptions: LoadConfigOptions = {
    configPath: args.values.config,
    cwd: process.cwd(),
    env: process.env,
  };
  let config;
  try {
    config = loadConfig(loadOptions);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${PRODUCT_NAME}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  // Read at start-up only: the logger is handed to every service as it starts.
  const logger = createLogger(config.raw.log_level, undefined, config.raw.log_format);
  for (const w of config.warnings) logger("warn", w);
  if (command === "token") return runTokenCommand(commandArgs, config);
  if (command === "restore") return runRestoreCommand(commandArgs, config);
  if (command === "shaman-gc") return runShamanGcCommand(commandArgs, config);
  if (command !== undefined) {
    console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }

  // Before the database is opened: a second Manager must not touch it (docs/backups.md).
  let lock;
  try {
    lock = lockManagerFiles(config);
  } catch (err) {
    if (err instanceof LockError) {
      console.error(`${PRODUCT_NAME}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const manager = createManager({
    config,
    reloadConfig: () => loadConfig(loadOptions),
    logger,
    webAssets: await buildWebAssets(),
    cwd: loadOptions.cwd,
    env: process.env,
  });
  let server;
  try {
    server = serveManager(manager, config.listen);
  } catch (err) {
    console.error(
      `${PRODUCT_NAME}: cannot listen on ${config.listen.hostname}:${config.listen.port}: ${(err as Error).message}`,
    );
    await manager.stop();
    lock.release();
    return 1;
  }
  lock.listening(server.url.href);
  manager.start();
  await manager.autodiscovery.start({
    listen: { hostname: config.listen.hostname, port: server.port ?? config.listen.port },
    interfaces: networkInterfaces(),
    openSocket: openSsdpSocket,
  });
  logger(
    "info",
    `${PRODUCT_NAME} ${PRODUCT_VERSION} listening on ${server.url.href} — database ${config.databasePath}, storage ${config.storagePath}` +
      (config.configPath ? `, configuration ${config.configPath}` : ", built-in configuration"),
  );

  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger("info", `${signal} received, shutting down`);
    manager.announceShutdown();
    await Bun.sleep(SHUTDOWN_GRACE_MS);
    manager.webSocket.closeAll();
    await server.stop();
    await manager.stop();
    lock.release();
    logger("info", "stopped");
    stopped.resolve();
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await stopped.promise;
  return 0;
}

process.exit(await main());
