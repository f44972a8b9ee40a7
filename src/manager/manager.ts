// The composition root: builds every service of a Manager from its configuration (database,
// broker, state machines, scheduler, background loops, forwarders) and the app that serves
// them. Used by the server entry point, the integration tests and `bun run openapi`.
import { createApp } from "./app";
import { shamanHandlers } from "./api/handlers/shaman";
import { receiveFile } from "./shaman/receive-file";
import { createShaman } from "./shaman/service";
import type { WebAsset } from "./web-assets";
import { systemClock, type Clock } from "../shared/clock";
import type { ManagerConfig, VariableContext } from "./config";
import type { Db } from "./db/connection";
import { startCheckpointer } from "./db/checkpointer";
import { isFileDatabase } from "./db/files";
import { openDatabase } from "./db/open";
import { afterCommit, describeWriteStats, enableGroupCommit, writeStats } from "./db/transaction";
import { createEventBroker, type EventBroker } from "./events/broker";
import { createBlenderProbe } from "./config/blender-check";
import { createLogForwarder } from "./events/forwarders/log";
import { createLiveMqttForwarder } from "./events/forwarders/mqtt-live";
import { createWebSocketForwarder } from "./events/forwarders/websocket";
import { lifecycle } from "./events/payloads";
import { createBlocklistService } from "./jobs/blocklist";
import { createJobDeleter } from "./jobs/deleter";
import { createJobTypeRegistry } from "./jobs/job-types";
import { createJobService } from "./jobs/service";
import { createTimeline } from "./jobs/timeline";
import { timelineHandlers } from "./api/handlers/timeline";
import { createLogger, type Logger } from "../shared/log";
import { createScheduler } from "./scheduler/scheduler";
import { createLongPoll } from "./scheduler/long-poll";
import { createStateMachine, type FailureThresholds } from "./state-machine/state-machine";
import { createLastRendered } from "./storage/last-rendered";
import { createStorageLayout, type StorageLayout } from "./storage/layout";
import { createTaskLogStore } from "./storage/task-logs";
import { createMayIRun } from "./tasks/may-i-run";
import { createTaskUpdates } from "./tasks/updates";
import { createTimeoutChecker } from "./timeouts/checker";
import { createDatabaseMaintenance } from "./backup/maintenance";
import { createWorkerAuth } from "./farm/auth";
import { createAccessControl } from "./auth/access-control";
import { createFarmStatus } from "./farm/farm-status";
import { createSleepScheduler } from "./farm/sleep-scheduler";
import { createAutodiscovery } from "./autodiscovery/service";
import { registerDescriptionRoute } from "./autodiscovery/description";
import { createWebhookService, type WebhookTiming } from "./webhooks/service";
import { webhookHandlers } from "./api/handlers/webhooks";

export interface ManagerOptions {
  config: ManagerConfig;
  /** Re-reads the configuration file; getConfiguration calls it. Defaults to keeping `config`. */
  reloadConfig?: () => ManagerConfig;
  clock?: Clock;
  logger?: Logger;
  webAssets?: ReadonlyMap<string, WebAsset>;
  /** Where a first run writes flamenco-manager.yaml; must match the config's load options. */
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Webhook retry timing; tests shorten it. */
  webhookTiming?: Partial<WebhookTiming>;
}

export type Manager = ReturnType<typeof createManager>;

interface TaskServiceDeps {
  db: Db;
  broker: EventBroker;
  clock: Clock;
  layout: StorageLayout;
  /** Read at every failure and assignment, so a configuration reload applies to the next one. */
  settings: () => FailureThresholds & VariableContext;
  /** The state machine's notes. */
  log: (msg: string) => void;
  /** Trouble with the task logs and last-rendered images. */
  warn: (msg: string) => void;
}

/**
 * The services of task execution: task logs, the state machine, the scheduler, task updates,
 * may-I-run and last-rendered images, wired to each other. The task-execution test farm
 * (test/support/task-farm.ts) builds them here too.
 */
export function createTaskServices(deps: TaskServiceDeps) {
  const { db, broker, clock, layout, settings, log, warn } = deps;
  const taskLogs = createTaskLogStore({
    layout,
    broker,
    clock,
    warn,
    afterCommit: (fn) => afterCommit(db, fn),
  });
  const stateMachine = createStateMachine({
    db,
    broker,
    clock,
    taskLogs,
    log,
    thresholds: () => {
      const { blocklistThreshold, taskFailAfterSoftfailCount } = settings();
      return { blocklistThreshold, taskFailAfterSoftfailCount };
    },
  });
  return {
    taskLogs,
    stateMachine,
    scheduler: createScheduler({
      db,
      broker,
      clock,
      taskMachine: stateMachine,
      taskLogs,
      variables: settings,
    }),
    taskUpdates: createTaskUpdates({ db, broker, clock, stateMachine, taskLogs }),
    mayIRun: createMayIRun({ db, clock }),
    lastRendered: createLastRendered({ db, broker, clock, layout, warn }),
  };
}

export function createManager(opts: ManagerOptions) {
  let config = opts.config;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger();
  const log = (msg: string) => logger("info", msg);
  const warn = (msg: string) => logger("warn", msg);

  const database = openDatabase(config.databasePath);
  const { db } = database;
  const checkpointer = isFileDatabase(config.databasePath)
    ? startCheckpointer(database.sqlite, config.databasePath, warn)
    : null;
  enableGroupCommit(db, (msg) => logger("error", msg));
  const broker = createEventBroker(warn);
  const layout = createStorageLayout(config.storagePath);
  const { taskLogs, stateMachine, scheduler, taskUpdates, mayIRun, lastRendered } = createTaskServices({
    db,
    broker,
    clock,
    layout,
    settings: () => config,
    log,
    warn,
  });
  const jobTypes = createJobTypeRegistry({
    scriptsDir: config.scriptsDir,
    clock,
    log: (level, msg) => logger(level, msg),
  });
  const jobs = createJobService({ db, broker, clock, jobTypes, config: () => config, log: logger });
  // Runs with the configuration of start-up, as Flamenco's; a saved change applies after a restart.
  const shaman = createShaman({ config, clock, receive: receiveFile, log: logger });
  const deleter = createJobDeleter({
    db,
    broker,
    clock,
    jobStorageDir: (jobUUID) => layout.jobDir(jobUUID),
    discardTaskLogs: (dir) => taskLogs.discard(dir),
    removeShamanCheckout: shaman?.removeCheckout,
    warn,
  });
  const blocklist = createBlocklistService({ db, jobs });
  const longPoll = createLongPoll({
    db,
    broker,
    clock,
    scheduler,
    workerTimeoutMs: () => config.workerTimeoutMs,
  });
  const farmStatus = createFarmStatus({ db, broker, clock, warn });
  const sleepScheduler = createSleepScheduler({ db, broker, clock, warn });
  const timeoutChecker = createTimeoutChecker({
    db,
    broker,
    clock,
    stateMachine,
    settings: () => config,
    warn,
  });
  const maintenance = createDatabaseMaintenance({
    databasePath: config.databasePath,
    checkPeriodMs: config.databaseCheckPeriodMs,
    backup: config.backup,
    broker,
    clock,
    log: logger,
  });
  const webSocket = createWebSocketForwarder({ log: logger, clock });
  broker.addForwarder(webSocket.forwarder);
  broker.addForwarder(createLogForwarder({ db, log: logger }));
  const mqtt = createLiveMqttForwarder({ broker, settings: () => config.mqtt, log: logger, clock });
  const webhooks = createWebhookService({
    db,
    broker,
    clock,
    hooks: () => config.raw.webhooks ?? [],
    managerName: () => config.managerName,
    log: logger,
    timing: opts.webhookTiming,
  });
  /** Makes `next` the configuration in effect; services that set up timers or connections follow it. */
  const applyConfig = (next: ManagerConfig): ManagerConfig => {
    config = next;
    timeoutChecker.settingsChanged();
    mqtt.settingsChanged();
    webhooks.settingsChanged();
    return next;
  };

  const access = createAccessControl({ db, clock, broker, log, settings: () => config.auth });
  const { app, unimplemented } = createApp({
    log: (msg) => logger("error", msg),
    requestLog: config.raw.log_level === "debug" ? (msg) => logger("debug", msg) : undefined,
    meta: {
      config: () => config,
      reloadConfig: () => (opts.reloadConfig ? applyConfig(opts.reloadConfig()) : config),
      shamanEnabled: () => shaman !== null,
    },
    configuration: {
      config: () => config,
      startedConfig: config,
      replaceConfig: (c) => {
        for (const w of c.warnings) warn(w);
        applyConfig(c);
      },
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      clock,
      blender: createBlenderProbe({ env: opts.env ?? process.env, platform: config.platform }),
    },
    jobs: { jobs, jobTypes, deleter, blocklist, stateMachine },
    workers: { db, broker, clock, requeue: stateMachine, farmStatus, config: () => config, log: logger },
    workerAuth: createWorkerAuth({ db, clock }),
    tasks: { db, clock, scheduler, longPoll, taskUpdates, mayIRun, taskLogs, lastRendered },
    layout,
    access,
    webAssets: opts.webAssets,
    extraHandlers: {
      ...shamanHandlers(shaman),
      ...webhookHandlers(webhooks),
      ...timelineHandlers(createTimeline({ db, clock })),
    },
  });
  // Started by the server's entry point once it listens: it needs the port and a UDP socket.
  const autodiscovery = createAutodiscovery({ enabled: config.autodiscoverable, log: logger, clock });
  registerDescriptionRoute(app, { active: autodiscovery.active, managerName: () => config.managerName });

  return {
    app,
    unimplemented,
    db,
    sqlite: database.sqlite,
    broker,
    clock,
    webSocket,
    access,
    config: () => config,
    services: {
      jobs,
      jobTypes,
      deleter,
      stateMachine,
      scheduler,
      longPoll,
      taskLogs,
      farmStatus,
      timeoutChecker,
      shaman,
      webhooks,
    },
    mqttStats: () => mqtt.stats(),
    autodiscovery,

    /** Writes a database backup now, as the schedule would (pruning included); see docs/backups.md. */
    backupNow: () => maintenance.backupNow(),

    /** Start-up repair and background loops; then tells subscribers the Manager is up. */
    start(): void {
      const repaired = stateMachine.repairStuckJobs();
      if (repaired > 0) log(`repaired ${repaired} job(s) stuck in a transitional status`);
      mqtt.start();
      deleter.start();
      farmStatus.start();
      sleepScheduler.start();
      timeoutChecker.start();
      maintenance.start();
      shaman?.start();
      webhooks.start();
      broker.publish(lifecycle("manager-startup"));
    },

    /** Tells subscribers the Manager is going down (before the HTTP server stops). */
    announceShutdown(): void {
      broker.publish(lifecycle("manager-shutdown"));
      // Held scheduleTask requests would keep the HTTP server from stopping.
      longPoll.close();
    },

    /** Stops the loops and forwarders and closes the database; call after the HTTP server stopped. */
    async stop(): Promise<void> {
      longPoll.close();
      webSocket.closeAll();
      await autodiscovery.stop();
      timeoutChecker.stop();
      sleepScheduler.stop();
      farmStatus.stop();
      deleter.stop();
      await shaman?.stop();
      // A check or backup in progress reads the database on its own connection.
      await maintenance.stop();
      // Thumbnails being made still write to the database.
      await lastRendered.idle();
      await taskLogs.close();
      await mqtt.close();
      await webhooks.stop();
      jobTypes.close();
      log(describeWriteStats(writeStats(db)));
      await checkpointer?.stop();
      database.close();
    },
  };
}
