// HTTP handlers for the worker lifecycle (registration, sign-on/off, state handshakes), worker
// and tag management, sleep schedules and the farm status. They translate between the wire
// shapes and the services in src/manager/farm; the services own the rules.
import type { Context } from "hono";
import type { Principal } from "../../auth/principal";
import type { ManagerConfig } from "../../config";
import type { Logger } from "../../../shared/log";
import { ApiError } from "../../errors";
import type { WorkerServiceDeps } from "../../farm/deps";
import type { FarmStatusService } from "../../farm/farm-status";
import { signOff, signOn, workerState, workerStateChanged } from "../../farm/lifecycle";
import { requireTag } from "../../farm/lookup";
import { deleteWorker, listWorkers, setWorkerTags, workerDetails } from "../../farm/management";
import { createRegistrationGuard, registerWorker } from "../../farm/registration";
import { REGISTRATION_SECRET_HEADER } from "../../../shared/registration-secret";
import { retryAfterSeconds } from "../../farm/auth-throttle";
import { fetchSleepSchedule, setSleepSchedule } from "../../farm/sleep-scheduler";
import { requestWorkerStatusChange } from "../../farm/status-requests";
import { createTag, deleteTag, listTags, updateTag } from "../../farm/tags";
import {
  registeredWorkerView,
  sleepScheduleView,
  stateChangeView,
  tagView,
  workerSummaryView,
  workerView,
} from "../../farm/views";
import type { ApiEnv } from "../http";
import { peerAddress, throttledAddress } from "../worker-auth";
import type { Handlers } from "./registry";

/** Sent with a 503 so a worker retries instead of giving up. */
export const DB_BUSY_RETRY_AFTER_SECONDS = 1;

export interface WorkerHandlerDeps extends WorkerServiceDeps {
  farmStatus: Pick<FarmStatusService, "current">;
  /** Read per registration, so a changed registration secret applies at once. */
  config: () => { auth: Pick<ManagerConfig["auth"], "workerRegistrationSecret"> };
  /** The farm's story: a registration publishes no event, so it is logged here. */
  log: Logger;
}

/**
 * The client address as Flamenco's Echo determines it: first X-Forwarded-For entry, else
 * X-Real-IP, else the TCP peer. (Proxy headers are trusted unconditionally, as in Flamenco.)
 */
function clientAddress(c: Context<ApiEnv>): string {
  const unbracket = (s: string) => s.trim().replace(/^\[(.*)\]$/, "$1");
  const forwarded = c.req.header("X-Forwarded-For");
  if (forwarded) return unbracket(forwarded.split(",")[0] ?? "");
  const realIP = c.req.header("X-Real-IP");
  if (realIP) return unbracket(realIP);
  return peerAddress(c);
}

export function workerHandlers(deps: WorkerHandlerDeps): Handlers {
  const { db } = deps;
  const registrationRefusal = createRegistrationGuard({
    clock: deps.clock,
    configuredSecret: () => deps.config().auth.workerRegistrationSecret,
  });
  return {
    // ---- Worker protocol (authenticated by the worker-auth middleware, except registration) ----

    registerWorker: async (c) => {
      const body = c.req.valid("json");
      // Unset until the access-control middleware runs on this route: then nobody has a role.
      const principal = c.get("principal") as Principal | undefined;
      const refusal = await registrationRefusal({
        role: principal?.role ?? null,
        presentedSecret: c.req.header(REGISTRATION_SECRET_HEADER),
        address: throttledAddress(c),
      });
      if (refusal?.status === 429) c.header("Retry-After", String(retryAfterSeconds(refusal.retryAfterMs)));
      if (refusal) throw new ApiError(refusal.status, refusal.message);
      try {
        const worker = await registerWorker(
          db,
          deps.clock,
          {
            name: body.name,
            secret: body.secret,
            platform: body.platform,
            supportedTaskTypes: body.supported_task_types,
          },
          clientAddress(c),
        );
        deps.log(
          "info",
          `worker "${worker.name}" registered from ${worker.address} (${worker.platform}, id ${worker.uuid})`,
        );
        return c.json(registeredWorkerView(worker), 200);
      } catch (err) {
        // The error mapping answers with this context, so the header goes out with the 503.
        if (err instanceof ApiError && err.status === 503) {
          c.header("Retry-After", String(DB_BUSY_RETRY_AFTER_SECONDS));
        }
        throw err;
      }
    },

    signOn: (c) => {
      const body = c.req.valid("json");
      const status = signOn(
        deps,
        c.var.worker,
        {
          name: body.name,
          supportedTaskTypes: body.supported_task_types,
          softwareVersion: body.software_version,
          canRestart: body.can_restart,
        },
        clientAddress(c),
      );
      return c.json(stateChangeView(status), 200);
    },

    signOff: (c) => {
      signOff(deps, c.var.worker);
      return c.body(null, 204);
    },

    workerState: (c) => {
      const requested = workerState(deps, c.var.worker);
      if (requested === null) return c.body(null, 204);
      return c.json(stateChangeView(requested), 200);
    },

    workerStateChanged: (c) => {
      workerStateChanged(deps, c.var.worker, c.req.valid("json").status);
      return c.body(null, 204);
    },

    // ---- Worker management ----

    fetchWorkers: (c) => c.json({ workers: listWorkers(db).map(workerSummaryView) }, 200),

    fetchWorker: (c) => {
      const d = workerDetails(db, c.req.valid("param").worker_id);
      return c.json(workerView(d.worker, d.tags, d.task), 200);
    },

    deleteWorker: (c) => {
      deleteWorker(deps, c.req.valid("param").worker_id);
      return c.body(null, 204);
    },

    requestWorkerStatusChange: (c) => {
      const body = c.req.valid("json");
      requestWorkerStatusChange(deps, c.req.valid("param").worker_id, {
        status: body.status,
        isLazy: body.is_lazy,
      });
      return c.body(null, 204);
    },

    setWorkerTags: (c) => {
      setWorkerTags(deps, c.req.valid("param").worker_id, c.req.valid("json").tag_ids);
      return c.body(null, 204);
    },

    fetchWorkerSleepSchedule: (c) => {
      const sched = fetchSleepSchedule(db, c.req.valid("param").worker_id);
      if (!sched) return c.body(null, 204);
      return c.json(sleepScheduleView(sched), 200);
    },

    setWorkerSleepSchedule: (c) => {
      const body = c.req.valid("json");
      setSleepSchedule(deps, c.req.valid("param").worker_id, {
        isActive: body.is_active,
        daysOfWeek: body.days_of_week,
        startTime: body.start_time,
        endTime: body.end_time,
      });
      return c.body(null, 204);
    },

    // ---- Worker tags ----

    fetchWorkerTags: (c) => c.json({ tags: listTags(db).map(tagView) }, 200),

    createWorkerTag: (c) => {
      const tag = createTag(deps, c.req.valid("json"));
      return c.json(tagView(tag), 200);
    },

    fetchWorkerTag: (c) => c.json(tagView(requireTag(db, c.req.valid("param").tag_id)), 200),

    updateWorkerTag: (c) => {
      const { name, description } = c.req.valid("json");
      updateTag(deps, c.req.valid("param").tag_id, { name, description });
      return c.body(null, 204);
    },

    deleteWorkerTag: (c) => {
      deleteTag(deps, c.req.valid("param").tag_id);
      return c.body(null, 204);
    },

    // ---- Farm status ----

    getFarmStatus: (c) => c.json({ status: deps.farmStatus.current() }, 200),
  };
}
