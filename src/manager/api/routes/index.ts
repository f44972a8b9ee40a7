// All route definitions of the wire contract, in the order they must be registered, and
// Tablao's own operations beside it (not part of Flamenco's contract).
// Hono matches routes in registration order, so a literal path (`/jobs/types`) must come
// before a parameterised sibling (`/jobs/{job_id}`) that would otherwise capture it.
import * as jobs from "./jobs";
import * as meta from "./meta";
import * as shaman from "./shaman";
import * as tablaoAuth from "./tablao-auth";
import * as tablaoSettings from "./tablao-settings";
import * as tablaoTimeline from "./tablao-timeline";
import * as tablaoWebhooks from "./tablao-webhooks";
import * as worker from "./worker";
import * as workerMgt from "./worker-mgt";

export * from "./jobs";
export * from "./meta";
export * from "./shaman";
export * from "./tablao-auth";
export * from "./tablao-settings";
export * from "./tablao-timeline";
export * from "./tablao-webhooks";
export * from "./worker";
export * from "./worker-mgt";

export const allRoutes = [
  meta.getVersion,
  meta.getConfiguration,
  meta.checkSharedStoragePath,
  meta.findBlenderExePath,
  meta.checkBlenderExePath,
  meta.saveSetupAssistantConfig,
  meta.getConfigurationFile,
  meta.updateConfigurationFile,
  meta.getVariables,
  meta.getSharedStorage,
  meta.getFarmStatus,

  worker.registerWorker,
  worker.signOn,
  worker.signOff,
  worker.workerState,
  worker.workerStateChanged,
  worker.scheduleTask,
  worker.taskUpdate,
  worker.mayWorkerRun,
  worker.taskOutputProduced,

  workerMgt.fetchWorkers,
  workerMgt.fetchWorker,
  workerMgt.deleteWorker,
  workerMgt.requestWorkerStatusChange,
  workerMgt.setWorkerTags,
  workerMgt.fetchWorkerSleepSchedule,
  workerMgt.setWorkerSleepSchedule,
  workerMgt.fetchWorkerTags,
  workerMgt.createWorkerTag,
  workerMgt.fetchWorkerTag,
  workerMgt.updateWorkerTag,
  workerMgt.deleteWorkerTag,

  // Literal /jobs/... paths first, then the /jobs/{job_id}/... family.
  jobs.getJobTypes,
  jobs.getJobType,
  jobs.fetchJobs,
  jobs.submitJob,
  jobs.submitJobCheck,
  jobs.deleteJobMass,
  jobs.fetchGlobalLastRenderedInfo,
  jobs.fetchJob,
  jobs.deleteJob,
  jobs.deleteJobWhatWouldItDo,
  jobs.fetchJobLastRenderedInfo,
  jobs.setJobStatus,
  jobs.setJobPriority,
  jobs.setJobTag,
  jobs.fetchJobTasks,
  jobs.fetchJobBlocklist,
  jobs.removeJobBlocklist,
  jobs.fetchTask,
  jobs.fetchTaskLogTail,
  jobs.fetchTaskLogInfo,
  jobs.setTaskStatus,

  shaman.shamanCheckoutRequirements,
  shaman.shamanCheckout,
  shaman.shamanFileStoreCheck,
  shaman.shamanFileStore,
] as const;

/** Tablao's own operations, under /api/tablao. */
export const tablaoRoutes = [
  tablaoAuth.getTablaoSession,
  tablaoAuth.createTablaoSession,
  tablaoAuth.deleteTablaoSession,
  tablaoAuth.fetchTablaoTokens,
  tablaoAuth.createTablaoToken,
  tablaoAuth.deleteTablaoToken,
  tablaoSettings.fetchTablaoSettings,
  tablaoSettings.updateTablaoSettings,
  tablaoWebhooks.fetchTablaoWebhookDeliveries,
  tablaoWebhooks.sendTablaoWebhookTest,
  shaman.fetchTablaoShamanStatus,
  tablaoTimeline.fetchTablaoJobTimeline,
] as const;
