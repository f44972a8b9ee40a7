// Live data of the selected job: its details, tasks, blocklist and last-rendered image,
// loaded over REST and kept current through a `job` subscription.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiRequestError } from "../api";
import { isNotOlder } from "../format";
import { taskUpdateMessage } from "../notifications";
import { applyJobSnapshot, applyTaskUpdate, mergeSnapshot, withKnownActivity } from "../records";
import type { AppState } from "../state";
import type { BlocklistEntry, Job, LastRenderedInfo, TaskSummary } from "../types";

export interface JobData {
  job: Job | null;
  /** Only the Manager's own 404 says so: no answer at all (it is away) proves nothing. */
  missing: boolean;
  tasks: Map<string, TaskSummary>;
  blocklist: BlocklistEntry[];
  lastRendered: LastRenderedInfo | null;
  /** Changes whenever a new last-rendered image arrives, to bypass the browser cache. */
  imageVersion: number;
}

export function useJob(
  state: AppState,
  jobId: string,
  onDeleted: () => void,
): JobData & { reloadBlocklist: () => void } {
  const [data, setData] = useState<JobData>({
    job: null,
    missing: false,
    tasks: new Map(),
    blocklist: [],
    lastRendered: null,
    imageVersion: 0,
  });
  // Event handlers need the current data synchronously, not as of the last render.
  const current = useRef(data);
  const patch = (fn: (d: JobData) => Partial<JobData>) => {
    current.current = { ...current.current, ...fn(current.current) };
    setData(current.current);
  };

  const loadJob = () =>
    state.attempt("load the job", async () => {
      try {
        const job = await api.job(jobId);
        patch((d) => (isNotOlder(job, d.job ?? undefined) ? { job, missing: false } : { missing: false }));
        state.jobs.update((jobs) => (jobs.has(job.id) ? applyJobSnapshot(jobs, job) : jobs));
      } catch (err) {
        if (err instanceof ApiRequestError && err.status === 404) patch(() => ({ missing: true }));
        throw err;
      }
    });
  const loadTasks = () =>
    state.attempt("load the tasks", async () => {
      const list = await api.jobTasks(jobId);
      patch((d) => ({
        tasks: mergeSnapshot(
          d.tasks,
          list.map((t) => withKnownActivity(t, d.tasks.get(t.id))),
          new Set(),
        ),
      }));
    });
  const loadBlocklist = () =>
    state.attempt("load the blocklist", async () => {
      const blocklist = await api.jobBlocklist(jobId);
      patch(() => ({ blocklist }));
    });
  const loadLastRendered = () =>
    state.attempt("load the last-rendered image", async () => {
      const lastRendered = await api.jobLastRendered(jobId);
      patch((d) => ({ lastRendered, imageVersion: d.imageVersion + 1 }));
    });

  useEffect(() => {
    const { live } = state;
    const loadAll = () => {
      void loadJob();
      void loadTasks();
      void loadBlocklist();
      void loadLastRendered();
    };
    const cleanups = [
      live.subscribe("job", jobId),
      live.on("/jobs", (u) => {
        if (u.id !== jobId) return;
        if (u.was_deleted) return onDeleted();
        patch((d) =>
          d.job && isNotOlder(u, d.job)
            ? {
                job: {
                  ...d.job,
                  name: u.name ?? d.job.name,
                  status: u.status,
                  priority: u.priority,
                  steps_completed: u.steps_completed,
                  steps_total: u.steps_total,
                  updated: u.updated,
                  delete_requested_at: u.delete_requested_at,
                },
              }
            : {},
        );
        if (u.refresh_tasks) void loadTasks();
        if (u.previous_status && u.previous_status !== u.status) {
          void loadJob();
          void loadBlocklist();
        }
      }),
      live.on("/task", (u) => {
        if (u.job_id !== jobId) return;
        state.notifications.add(taskUpdateMessage(u, current.current.job?.name));
        if (!current.current.tasks.has(u.id)) return void loadTasks();
        patch((d) => ({ tasks: applyTaskUpdate(d.tasks, u) }));
        // A task finishing or being requeued changes the job's progress, which no job event may announce.
        if (u.previous_status !== u.status) void loadJob();
      }),
      live.on("/last-rendered", (u) => {
        if (u.job_id !== jobId) return;
        patch((d) => ({ lastRendered: u.thumbnail, imageVersion: d.imageVersion + 1 }));
      }),
      state.resyncs.subscribe(loadAll),
    ];
    loadAll();
    return () => cleanups.forEach((c) => c());
  }, [jobId]);

  return { ...data, reloadBlocklist: () => void loadBlocklist() };
}
