// App-wide state shared by all views: jobs, workers, tags, farm status and notifications,
// loaded over REST and kept current by the live connection's farm-wide subscriptions.
import { api } from "./api";
import type { LiveConnection } from "./live";
import {
  createNotifications,
  jobUpdateMessage,
  workerUpdateMessage,
  type Notifications,
} from "./notifications";
import {
  applyJobUpdate,
  applyTagUpdate,
  applyWorkerUpdate,
  jobRow,
  mergeSnapshot,
  type JobRow,
  type WorkerRow,
} from "./records";
import { setupApi, type ManagerConfiguration } from "./setup/setup-api";
import { createStore, type Store } from "./store";
import type { FarmStatus, WorkerTag } from "./types";

/** How many deleted job/worker IDs are remembered, so a stale snapshot cannot resurrect them. */
const DELETED_IDS_REMEMBERED = 1000;

export interface AppState {
  readonly live: LiveConnection;
  readonly notifications: Notifications;
  readonly jobs: Store<Map<string, JobRow>>;
  readonly workers: Store<Map<string, WorkerRow>>;
  readonly tags: Store<WorkerTag[]>;
  readonly farmStatus: Store<FarmStatus>;
  readonly managerName: Store<string>;
  readonly shuttingDown: Store<boolean>;
  /** What the Manager says of its configuration (a first run is due?); null until known. */
  readonly configuration: Store<ManagerConfiguration | null>;
  /** Asks again, e.g. after the setup assistant saved; resolves to success, never rejects. */
  readonly refreshConfiguration: () => Promise<boolean>;
  /**
   * Runs an action, reporting failure on the notification line; resolves to success and never
   * rejects, so event handlers may fire and forget it. A function property, not a method: it
   * does not use `this`, and components destructure it.
   */
  readonly attempt: (what: string, action: () => Promise<unknown>) => Promise<boolean>;
}

function rememberDeleted(set: Set<string>, id: string) {
  set.add(id);
  if (set.size > DELETED_IDS_REMEMBERED) set.delete(set.values().next().value as string);
}

export function createAppState(live: LiveConnection): AppState {
  const notifications = createNotifications();
  const jobs = createStore(new Map<string, JobRow>());
  const workers = createStore(new Map<string, WorkerRow>());
  const tags = createStore<WorkerTag[]>([]);
  const farmStatus = createStore<FarmStatus>("unknown");
  const managerName = createStore("");
  const shuttingDown = createStore(false);
  const configuration = createStore<ManagerConfiguration | null>(null);
  const deletedJobs = new Set<string>();
  const deletedWorkers = new Set<string>();

  const attempt = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
      return true;
    } catch (err) {
      notifications.add(`Could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  };

  const refreshConfiguration = () =>
    attempt("load the configuration", async () => configuration.set(await setupApi.configuration()));

  const refetch = () => {
    void refreshConfiguration();
    void attempt("load the jobs", async () => {
      const list = await api.jobs();
      jobs.update((cur) => mergeSnapshot(cur, list.map(jobRow), deletedJobs));
    });
    void attempt("load the workers", async () => {
      const list = await api.workers();
      workers.update((cur) => mergeSnapshot(cur, list, deletedWorkers));
    });
    void attempt("load the worker tags", async () => tags.set(await api.tags()));
    void attempt("load the farm status", async () => farmStatus.set(await api.farmStatus()));
    void attempt("load the Manager version", async () => managerName.set((await api.version()).name));
  };

  live.subscribe("allJobs");
  live.subscribe("allWorkers");
  live.subscribe("allWorkerTags");
  live.on("/jobs", (u) => {
    if (u.was_deleted) rememberDeleted(deletedJobs, u.id);
    jobs.update((cur) => applyJobUpdate(cur, u));
    const msg = jobUpdateMessage(u);
    if (msg) notifications.add(msg);
  });
  live.on("/workers", (u) => {
    if (u.deleted_at) rememberDeleted(deletedWorkers, u.id);
    workers.update((cur) => applyWorkerUpdate(cur, u));
    const msg = workerUpdateMessage(u);
    if (msg) notifications.add(msg);
  });
  live.on("/workertags", (u) => tags.update((cur) => applyTagUpdate(cur, u)));
  live.on("/status", (u) => farmStatus.set(u.status));
  live.on("/lifecycle", (u) => {
    shuttingDown.set(u.type === "manager-shutdown");
    if (u.type === "manager-startup") refetch();
  });
  live.connects.subscribe(() => {
    shuttingDown.set(false);
    refetch();
  });
  refetch();

  return {
    live,
    notifications,
    jobs,
    workers,
    tags,
    farmStatus,
    managerName,
    shuttingDown,
    configuration,
    refreshConfiguration,
    attempt,
  };
}
