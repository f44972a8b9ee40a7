// `bun run server`: reads the configuration, opens the database, starts the Manager and serves
// it until SIGINT/SIGTERM, then lets requests in flight finish and closes the database.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type LoadConfigOptions } from "./config";
import { createLogger } from "../shared/log";
import { createManager } from "./manager";
import { serveManager } from "./bun-serve";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../shared/version";
import { buildWebAssets } from "./web-assets";

/** Lets WebSocket clients receive the shutdown event before their connection closes. */
export const SHUTDOWN_GRACE_MS = 500;

const USAGE = `Usage: bun run server [--config FILE]

  --config FILE   read FILE instead of flamenco-manager.yaml in the working directory
  --help          show this text

Environment: TABLAO_LISTEN (e.g. :8080 or 127.0.0.1:8080), PORT, TABLAO_DATABASE, TABLAO_STORAGE.`;

async function main(): Promise<number> {
  const logger = createLogger();
  let args;
  try {
    args = parseArgs({
      args: Bun.argv.slice(2),
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
  for (const w of config.warnings) logger("warn", w);

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
    return 1;
  }
  manager.start();
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
    logger("info", "stopped");
    stopped.resolve();
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await stopped.promise;
  return 0;
}

process.exit(await main());
