// The jobs view: the jobs table beside the selected job's details, tasks and task details.
/** @jsxImportSource preact */
import { useApp } from "../ui/context";
import { JobDetails } from "./JobDetails";
import { JobsTable } from "./JobsTable";
import { TaskDetails } from "./TaskDetails";
import { TasksTable } from "./TasksTable";
import { useJob } from "./useJob";

function JobPane({ jobId, taskId }: { jobId: string; taskId?: string }) {
  const { state, router } = useApp();
  const leave = () => router.go({ view: "jobs" }, { replace: true });
  const data = useJob(state, jobId, leave);
  if (data.missing) return <p class="hint">This job does not exist (any more).</p>;
  if (!data.job) return <p class="hint">Loading job…</p>;
  return (
    <>
      <JobDetails
        job={data.job}
        blocklist={data.blocklist}
        lastRendered={data.lastRendered}
        imageVersion={data.imageVersion}
        onBlocklistChange={data.reloadBlocklist}
        onDeleted={leave}
      />
      <TasksTable jobId={jobId} tasks={data.tasks} selectedId={taskId} />
      {taskId && <TaskDetails key={taskId} taskId={taskId} jobStatus={data.job.status} />}
    </>
  );
}

export function JobsView({ jobId, taskId }: { jobId?: string; taskId?: string }) {
  return (
    <div class="split">
      <section class="pane pane-list">
        <JobsTable selectedId={jobId} />
      </section>
      <section class="pane pane-details">
        {jobId ? (
          <JobPane key={jobId} jobId={jobId} taskId={taskId} />
        ) : (
          <p class="hint">Select a job to see its details and tasks.</p>
        )}
      </section>
    </div>
  );
}
