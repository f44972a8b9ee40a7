// App-wide state shared by all views: jobs, workers, tags, farm status and notifications,
// loaded over REST and kept current by the live connection's farm-wide subscriptions; and
// whether the Manager can be reached at all, so stale data is shown as stale.
import { api, handleOutcome, isUnreachable } from "./api";
import { reconnectDelayMs, type LiveConnection } from "./live";
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
import type { FarmStatus, ManagerVersion, WorkerTag } from "./types";

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
  /** What GET /api/v3/version answered; null until it did. */
  readonly version: Store<ManagerVersion | null>;
  readonly shuttingDown: Store<boolean>;
  /**
   * False while the Manager cannot be reached (the live connection is down, or calls get no
   * answer or a proxy's 502/503/504): what the views show is then the last known data.
   */
  readonly reachable: Store<boolean>;
  /** When the Manager last answered (ms since the epoch): how old the data shown may be. */
  readonly lastContactMs: Store<number>;
  /** Bumped whenever views must reload everything: the live connection was remade, or the Manager is reachable again. */
  readonly resyncs: Store<number>;
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
  const version = createStore<ManagerVersion | null>(null);
  const shuttingDown = createStore(false);
  const configuration = createStore<ManagerConfiguration | null>(null);
  const reachable = createStore(true);
  const lastContactMs = createStore(Date.now());
  const resyncs = createStore(0);
  const deletedJobs = new Set<string>();
  const deletedWorkers = new Set<string>();

  const attempt = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
      return true;
    } catch (err) {
      // The banner says the Manager is unreachable; a line per failed call would only bury it.
      if (!isUnreachable(err))
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
    void attempt("load the Manager version", async () => {
      const v = await api.version();
      version.set(v);
      managerName.set(v.name);
    });
  };

  // Two ways to lose the Manager: the socket drops (the reconnection loop of `live` brings it
  // back) or calls get no answer while the socket looks fine (a proxy; probed here until answered).
  let socketDown = false;
  let callsFailing = false;
  let probeAttempt = 0;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  const probe = () => {
    probeTimer = undefined;
    void api.version().catch(() => {
      if (callsFailing) probeTimer = setTimeout(probe, reconnectDelayMs(probeAttempt++));
    });
  };
  const callsAnswer = () => {
    callsFailing = false;
    probeAttempt = 0;
    clearTimeout(probeTimer);
  };
  /** `reload`: whether getting back is to reload the views (a reconnection reloads them itself). */
  const judge = (reload: boolean) => {
    const now = !socketDown && !callsFailing;
    if (now === reachable.get()) return;
    reachable.set(now);
    if (now && reload) resync();
  };
  handleOutcome((reached) => {
    if (reached) {
      lastContactMs.set(Date.now());
      callsAnswer();
    } else if (!callsFailing) {
      callsFailing = true;
      probeTimer = setTimeout(probe, reconnectDelayMs(probeAttempt++));
    }
    judge(true);
  });
  live.state.subscribe((s) => {
    if (s === "connecting") return;
    socketDown = s === "closed";
    // "Shutting down" is over once the socket is gone: from then on the Manager is simply away.
    if (socketDown) shuttingDown.set(false);
    else {
      // An open socket is an answer too; the `connects` bump that follows reloads the views.
      lastContactMs.set(Date.now());
      callsAnswer();
    }
    judge(false);
  });

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
  function resync() {
    shuttingDown.set(false);
    refetch();
    resyncs.update((n) => n + 1);
  }
  live.connects.subscribe(resync);
  refetch();

  return {
    live,
    notifications,
    jobs,
    workers,
    tags,
    farmStatus,
    managerName,
    version,
    shuttingDown,
    reachable,
    lastContactMs,
    resyncs,
    configuration,
    refreshConfiguration,
    attempt,
  };
}
