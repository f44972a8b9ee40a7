// The jobs view: the jobs table beside the selected job. The job's header (with its actions)
// stays put while its details and tasks scroll in one area and the chosen task with its log in
// another, so choosing a task far down never scrolls the actions away.
/** @jsxImportSource preact */
import { useStore } from "../store";
import { useApp } from "../ui/context";
import { JobDetails, JobHeader } from "./JobDetails";
import { JobsTable } from "./JobsTable";
import { TaskDetails } from "./TaskDetails";
import { TasksTable } from "./TasksTable";
import { JobTimeline } from "./timeline/JobTimeline";
import { useJob } from "./useJob";

function JobPane({ jobId, taskId }: { jobId: string; taskId?: string }) {
  const { state, router } = useApp();
  const reachable = useStore(state.reachable);
  const leave = () => router.go({ view: "jobs" }, { replace: true });
  const data = useJob(state, jobId, leave);
  if (data.missing) return <p class="hint">This job does not exist (any more).</p>;
  if (!data.job)
    return <p class="hint">{reachable ? "Loading job…" : "The job loads once the Manager answers."}</p>;
  return (
    <section
      class={`job-details job-pane ${taskId ? "with-task" : ""}`}
      aria-label="Job details"
      data-job-id={jobId}
    >
      <JobHeader job={data.job} onDeleted={leave} />
      <div class="job-body" data-scroll="job">
        <JobDetails
          job={data.job}
          blocklist={data.blocklist}
          lastRendered={data.lastRendered}
          imageVersion={data.imageVersion}
          onBlocklistChange={data.reloadBlocklist}
        />
        <JobTimeline jobId={jobId} />
        <TasksTable jobId={jobId} jobStatus={data.job.status} tasks={data.tasks} selectedId={taskId} />
      </div>
      {taskId && <TaskDetails key={taskId} taskId={taskId} jobStatus={data.job.status} />}
    </section>
  );
}

export function JobsView({ jobId, taskId }: { jobId?: string; taskId?: string }) {
  return (
    <div class="split jobs-view">
      <section class="pane pane-list">
        <JobsTable selectedId={jobId} />
      </section>
      <div class="pane-job">
        {jobId ? (
          <JobPane key={jobId} jobId={jobId} taskId={taskId} />
        ) : (
          <p class="hint">Select a job to see its details and tasks.</p>
        )}
      </div>
    </div>
  );
}
