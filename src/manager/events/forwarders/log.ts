// The farm's story in the Manager's log, told from the events the services publish: workers
// signing on and off, timing out or being removed, jobs finishing, failing or being deleted, at
// info level with names; other status changes at debug. The services need no log lines of their
// own for it. Job submissions are logged by the job service, which knows the task count.
import type { Logger } from "../../../shared/log";
import type { Db } from "../../db/connection";
import { countTasksOfJob } from "../../db/queries/job-tasks";
import { jobByUUID } from "../../db/queries/jobs";
import { workerByUUID } from "../../db/queries/workers";
import type { EventPayloads, Forwarder } from "../broker";

/** Job statuses a wrangler wants to hear about; the others are steps on the way. */
const STORY_JOB_STATUSES = new Set(["completed", "failed", "canceled", "paused"]);

export interface LogForwarderDeps {
  /** Read for what events do not carry: task counts, a job's reason, a worker's address. */
  db: Db;
  log: Logger;
}

export function createLogForwarder(deps: LogForwarderDeps): Forwarder {
  const { db, log } = deps;

  function jobTold(u: EventPayloads["/jobs"]): void {
    const subject = `job "${u.name}" (${u.type}, ${u.id})`;
    if (u.was_deleted) return log("info", `${subject} deleted`);
    if (!u.previous_status || u.previous_status === u.status) return;
    if (!STORY_JOB_STATUSES.has(u.status)) {
      return log("debug", `${subject} changed status ${u.previous_status} -> ${u.status}`);
    }
    const job = jobByUUID(db, u.id);
    if (!job) return log("info", `${subject} ${u.status}`);
    const counts = countTasksOfJob(db, job.id);
    const tasks = `${counts.of("completed")} of ${counts.total} tasks completed`;
    const why = u.status === "completed" ? "" : `: ${job.activity}`;
    log("info", `${subject} ${u.status}, ${tasks}${why}`);
  }

  function workerTold(u: EventPayloads["/workers"]): void {
    const subject = `worker "${u.name}" (${u.id})`;
    if (u.deleted_at) return log("info", `${subject} removed`);
    if (u.previous_status === undefined && u.status !== "starting") return;
    if (u.previous_status === u.status) return;
    // Read only for the lines that name the address, not for every status change.
    const from = () => {
      const worker = workerByUUID(db, u.id);
      return worker ? ` from ${worker.address}` : "";
    };
    switch (u.status) {
      case "starting": {
        const first = !u.previous_status ? " for the first time" : ` (was ${u.previous_status})`;
        return log("info", `${subject} signed on${first}${from()}, version ${u.version}`);
      }
      case "offline":
        return log("info", `${subject} signed off (was ${u.previous_status})`);
      case "error": {
        // A timeout changes the worker without it calling in: it was last seen before the change.
        const timedOut = u.last_seen !== undefined && u.last_seen < u.updated;
        return log(
          "info",
          timedOut
            ? `${subject} timed out: not seen since ${u.last_seen}${from()}`
            : `${subject} reported an error state${from()}`,
        );
      }
      default:
        return log("debug", `${subject} changed status ${u.previous_status} -> ${u.status}`);
    }
  }

  return {
    name: "log",
    forward(event) {
      if (event.event === "/jobs") jobTold(event.payload);
      else if (event.event === "/workers") workerTold(event.payload);
    },
  };
}
