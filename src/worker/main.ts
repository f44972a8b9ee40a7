// `bun run worker`: a Flamenco-compatible render worker. Reads its configuration, signs on to the
// Manager (registering when needed), runs tasks until told to stop, and on SIGINT/SIGTERM stops
// the running command, delivers queued updates and signs off.
import { hostname } from "node:os";
import { join } from "node:path";
import { goPlatformName } from "../shared/platform";
import { createLogger, type Logger } from "../shared/log";
import { FLAMENCO_COMPAT_VERSION, PRODUCT_NAME, PRODUCT_VERSION } from "../shared/version";
import { createManagerClient, type ManagerApi, type WorkerCredentials } from "./client";
import type { SubprocessSettings } from "./commands/context";
import {
  CONFIG_FILENAME,
  loadCredentials,
  loadWorkerConfig,
  normaliseManagerUrl,
  parseWorkerArgs,
  REGISTRATION_SECRET_ENV,
  resolveRegistrationSecret,
  resolveWorkerName,
  saveCredentials,
  workerFiles,
  workerHome,
  type WorkerArgs,
  type WorkerConfig,
} from "./config";
import {
  DEFAULT_TIMINGS,
  HTTP_REQUEST_TIMEOUT_MS,
  KILL_GRACE_MS,
  scaleTimings,
  SHUTDOWN_FLUSH_BUDGET_MS,
  SHUTDOWN_WATCHDOG_EXIT_CODE,
  SHUTDOWN_WATCHDOG_MS,
  SIGN_OFF_TIMEOUT_MS,
  type WorkerTimings,
} from "./constants";
import {
  discoverManager,
  DiscoveryError,
  DISCOVERY_TIMEOUT_MS,
  FIND_MANAGER_TIMEOUT_MS,
  openSearchSocket,
  probeManager,
  searchInterfaces,
} from "./autodiscovery";
import { probeBlender, probeFFmpeg } from "./executables";
import { PreviewUploader } from "./previews";
import { registerOrSignOn, RegistrationError, type RegistrationDeps } from "./registration";
import { WorkerStateMachine, type ExitReason } from "./state-machine";
import { runTask } from "./task-runner";
import { openUpdateQueueDb, Upstream } from "./upstream";

/** Makes every wait of the worker shorter or longer (tests, demos); 1 is Flamenco's timing. */
export const TIME_SCALE_ENV = "TABLAO_WORKER_TIME_SCALE";
/** `1`: poll for tasks exactly as Flamenco's worker does (no long-poll, a pause after every task). */
export const FLAMENCO_POLLING_ENV = "TABLAO_WORKER_FLAMENCO_POLLING";

const USAGE = `Usage: npm run worker -- [-manager URL] [flags]

  -manager URL             the Manager to use (overrides manager_url of ${CONFIG_FILENAME})
  -restart-exit-code N     exit code for the Manager's "restart" action (overrides restart_exit_code)
  -flush                   deliver queued task updates, sign off and exit
  -find-manager            look for a Manager by UPnP/SSDP, print its URL and exit
  -quiet | -debug          less or more logging
  -version                 print the version and exit

Reads ${CONFIG_FILENAME} in the working directory (manager_url, worker_name, task_types,
restart_exit_code, oom_score_adjust, registration_secret). Keeps its credentials and queue in
$FLAMENCO_HOME, or the working directory. Environment: FLAMENCO_HOME, FLAMENCO_WORKER_NAME,
${REGISTRATION_SECRET_ENV}, ${TIME_SCALE_ENV}, ${FLAMENCO_POLLING_ENV}.
Without a Manager URL the worker looks for one by UPnP/SSDP (UDP multicast, port 1900).`;

const SOFTWARE_VERSION = `${PRODUCT_NAME}-worker ${PRODUCT_VERSION}`;

function timingsFromEnv(env: Record<string, string | undefined>): WorkerTimings {
  const text = env[TIME_SCALE_ENV]?.trim();
  return text ? scaleTimings(Number(text)) : { ...DEFAULT_TIMINGS };
}

async function signOff(api: ManagerApi, log: Logger): Promise<void> {
  try {
    const { response } = await api.POST("/api/v3/worker/sign-off", {
      signal: AbortSignal.timeout(SIGN_OFF_TIMEOUT_MS),
    });
    log(response.ok ? "info" : "warn", `signed off (${response.status})`);
  } catch (err) {
    log("warn", `could not sign off: ${(err as Error).message}`);
  }
}

interface Setup {
  args: WorkerArgs;
  config: WorkerConfig;
  home: string;
  timings: WorkerTimings;
}

function setup(argv: string[], env: Record<string, string | undefined>, cwd: string): Setup | number {
  let args: WorkerArgs;
  try {
    args = parseWorkerArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(`${PRODUCT_VERSION} (${PRODUCT_NAME} worker, Flamenco ${FLAMENCO_COMPAT_VERSION} protocol)`);
    return 0;
  }
  try {
    const config = loadWorkerConfig(join(cwd, CONFIG_FILENAME));
    if (config.managerUrl) config.managerUrl = normaliseManagerUrl(config.managerUrl);
    if (args.manager) config.managerUrl = args.manager;
    if (args.restartExitCode !== null) config.restartExitCode = args.restartExitCode;
    return { args, config, home: workerHome(env, cwd), timings: timingsFromEnv(env) };
  } catch (err) {
    console.error(`${PRODUCT_NAME} worker: ${(err as Error).message}`);
    return 1;
  }
}

async function main(): Promise<number> {
  const env = process.env;
  const prepared = setup(Bun.argv.slice(2), env, process.cwd());
  if (typeof prepared === "number") return prepared;
  const { args, config, home, timings } = prepared;
  const log = createLogger(args.logLevel);
  const discover = (timeoutMs: number) =>
    discoverManager({
      openSocket: openSearchSocket,
      interfaceAddresses: searchInterfaces,
      probe: probeManager,
      log,
      timeoutMs,
    });
  if (args.findManager) {
    try {
      console.log(await discover(FIND_MANAGER_TIMEOUT_MS));
      return 0;
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      log("error", err.message);
      return 1;
    }
  }
  const files = workerFiles(home);
  const name = resolveWorkerName(config, env, hostname());
  log(
    "info",
    `${SOFTWARE_VERSION} (${process.platform}/${process.arch}, pid ${process.pid}) starting as "${name}"`,
  );
  log(
    "info",
    `configuration ${join(process.cwd(), CONFIG_FILENAME)}, credentials ${files.credentials}, Manager ${config.managerUrl || "(to be found by UPnP/SSDP)"}`,
  );

  if (env[TIME_SCALE_ENV])
    log("warn", `${TIME_SCALE_ENV}=${env[TIME_SCALE_ENV]}: every wait is scaled by that factor`);
  const flamencoPolling = env[FLAMENCO_POLLING_ENV]?.trim() === "1";
  if (flamencoPolling) log("info", `${FLAMENCO_POLLING_ENV}=1: polling for tasks as Flamenco's worker does`);

  const which = (exe: string) => Bun.which(exe);
  for (const [what, probe] of [
    ["Blender", probeBlender(which)],
    ["FFmpeg", probeFFmpeg(which)],
  ] as const) {
    const found = await probe;
    log(
      "info",
      typeof found === "string" ? `${what}: ${found}` : `${what} ${found.version} at ${found.path}`,
    );
  }

  if (!config.managerUrl) {
    try {
      config.managerUrl = await discover(DISCOVERY_TIMEOUT_MS);
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      log("error", err.message);
      return 1;
    }
  }

  let credentials: WorkerCredentials | null = loadCredentials(files.credentials);
  const api = createManagerClient({
    baseUrl: config.managerUrl,
    credentials: () => credentials,
    timeoutMs: HTTP_REQUEST_TIMEOUT_MS,
  });
  const registration: RegistrationDeps = {
    api,
    credentials: {
      get: () => credentials,
      set(creds) {
        saveCredentials(files.credentials, creds);
        credentials = creds;
      },
    },
    identity: {
      name,
      platform: goPlatformName(process.platform),
      taskTypes: config.taskTypes,
      softwareVersion: SOFTWARE_VERSION,
      canRestart: config.restartExitCode !== 0,
    },
    registrationSecret: resolveRegistrationSecret(config, env),
    retryMinMs: timings.signOnRetryMs,
    retryMaxMs: timings.signOnRetryMaxMs,
    log,
  };

  const shutdown = new AbortController();
  let watchdog: ReturnType<typeof setTimeout> | null = null;
  /** From the first sign of shutdown on, the whole wind-down gets a fixed time. */
  const startWatchdog = () => {
    watchdog ??= setTimeout(() => {
      log("error", `shutdown took longer than ${SHUTDOWN_WATCHDOG_MS / 1000} s; exiting anyway`);
      process.exit(SHUTDOWN_WATCHDOG_EXIT_CODE);
    }, SHUTDOWN_WATCHDOG_MS);
  };
  shutdown.signal.addEventListener("abort", startWatchdog, { once: true });
  const onSignal = (signal: string) => {
    if (shutdown.signal.aborted) {
      log("info", `${signal} received; already shutting down`);
      return;
    }
    log("info", `${signal} received; shutting down`);
    shutdown.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  let initial;
  try {
    initial = await registerOrSignOn(registration, shutdown.signal);
  } catch (err) {
    if (!(err instanceof RegistrationError)) throw err;
    log("error", err.message);
    return 1;
  }
  if (initial === null) return 0;

  let upstream: Upstream;
  try {
    upstream = new Upstream({
      db: openUpdateQueueDb(files.queueDb),
      api,
      log,
      retryMinMs: timings.upstreamRetryMinMs,
      retryMaxMs: timings.upstreamRetryMaxMs,
    });
  } catch (err) {
    log("error", `cannot open the task update queue ${files.queueDb}: ${(err as Error).message}`);
    return 1;
  }
  const queued = upstream.pending();
  if (queued > 0)
    log("info", `delivering ${queued} task update(s) queued by an earlier run: ${await upstream.flush()}`);
  if (args.flush) {
    await upstream.close(SHUTDOWN_FLUSH_BUDGET_MS);
    await signOff(api, log);
    return 0;
  }

  const previews = new PreviewUploader({ api, log, busyBackoffMs: timings.previewBusyBackoffMs });
  const stopPreviews = new AbortController();
  const previewLoop = previews.run(stopPreviews.signal);
  const subprocess: SubprocessSettings = {
    oomScoreAdjust: config.oomScoreAdjust,
    killGraceMs: KILL_GRACE_MS,
    which,
    platform: process.platform,
  };
  if (config.oomScoreAdjust !== null && process.platform !== "linux") {
    log("warn", "oom_score_adjust only works on Linux; ignoring it");
  }
  const machine = new WorkerStateMachine({
    api,
    upstream,
    runTask: (task, signal) =>
      runTask(
        task,
        {
          api,
          upstream,
          previews,
          subprocess,
          mayIRunPeriodMs: timings.mayIRunPeriodMs,
          logChunkMaxAgeMs: timings.logChunkMaxAgeMs,
          log,
        },
        signal,
      ),
    signOnAgain: (signal) => registerOrSignOn(registration, signal),
    timings,
    flamencoPolling,
    log,
  });

  let reason: ExitReason;
  try {
    reason = await machine.run(initial, shutdown.signal);
  } catch (err) {
    if (!(err instanceof RegistrationError)) throw err;
    log("error", err.message);
    reason = "shutdown";
  }

  startWatchdog();
  await upstream.close(SHUTDOWN_FLUSH_BUDGET_MS);
  await signOff(api, log);
  stopPreviews.abort();
  await previewLoop;
  clearTimeout(watchdog ?? undefined);
  log("info", `stopped (${reason})`);
  return reason === "restart" ? config.restartExitCode : 0;
}

process.exit(await main());
