// The database schema: every table of the Manager, in one place. Migrations in
// src/manager/db/migrations are generated from this file by drizzle-kit (`bun run db:generate`),
// except the trigger migrations (0002, 0005, 0010), which are written by hand (see docs/storage.md).
import { sql } from "drizzle-orm";
import type { JobStatus, StoredWorkerStatus, TaskStatus } from "../../shared/statuses";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Timestamps are stored as integer milliseconds since the epoch (UTC). */
const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

/**
 * The columns every entity table shares. `updated_at` starts equal to
 * `created_at` and is bumped by Drizzle on every update that does not set it
 * explicitly, so no code path can forget it.
 */
export function commonColumns() {
  return {
    id: integer("id").primaryKey({ autoIncrement: true }),
    createdAt: timestamp("created_at")
      .notNull()
      .$defaultFn(() => new Date()),
    updatedAt: timestamp("updated_at")
      .notNull()
      .$defaultFn(() => new Date())
      .$onUpdateFn(() => new Date()),
  };
}

export const workerTags = sqliteTable("worker_tags", {
  ...commonColumns(),
  uuid: text("uuid").notNull().unique(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
});

export const workers = sqliteTable(
  "workers",
  {
    ...commonColumns(),
    uuid: text("uuid").notNull().unique(),
    /** Bun.password hash of the worker's secret. */
    secret: text("secret").notNull(),
    name: text("name").notNull(),
    address: text("address").notNull().default(""),
    platform: text("platform").notNull().default(""),
    software: text("software").notNull().default(""),
    status: text("status").$type<StoredWorkerStatus>().notNull().default(""),
    lastSeenAt: timestamp("last_seen_at"),
    statusRequested: text("status_requested").$type<StoredWorkerStatus>().notNull().default(""),
    lazyStatusRequest: integer("lazy_status_request", { mode: "boolean" }).notNull().default(false),
    /** Comma-separated, trimmed and lower-cased at sign-on. */
    supportedTaskTypes: text("supported_task_types").notNull().default(""),
    canRestart: integer("can_restart", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("workers_status_idx").on(t.status)],
);

export const workerTagMembership = sqliteTable(
  "worker_tag_membership",
  {
    workerTagId: integer("worker_tag_id")
      .notNull()
      .references(() => workerTags.id, { onDelete: "cascade" }),
    workerId: integer("worker_id")
      .notNull()
      .references(() => workers.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.workerTagId, t.workerId] }),
    index("worker_tag_membership_worker_idx").on(t.workerId),
  ],
);

export const jobs = sqliteTable(
  "jobs",
  {
    ...commonColumns(),
    uuid: text("uuid").notNull().unique(),
    name: text("name").notNull(),
    jobType: text("job_type").notNull(),
    priority: integer("priority").notNull().default(50),
    status: text("status").$type<JobStatus>().notNull(),
    activity: text("activity").notNull().default(""),
    settings: text("settings", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    metadata: text("metadata", { mode: "json" }).notNull().$type<Record<string, string>>(),
    deleteRequestedAt: timestamp("delete_requested_at"),
    storageShamanCheckoutId: text("storage_shaman_checkout_id").notNull().default(""),
    workerTagId: integer("worker_tag_id").references(() => workerTags.id, {
      onDelete: "set null",
    }),
    /** Sums over the job's tasks, kept by the triggers of migration 0002: never update them from code. */
    stepsCompleted: integer("steps_completed").notNull().default(0),
    stepsTotal: integer("steps_total").notNull().default(0),
  },
  (t) => [
    index("jobs_status_priority_idx").on(t.status, t.priority),
    index("jobs_delete_requested_idx").on(t.deleteRequestedAt),
    index("jobs_updated_at_idx").on(t.updatedAt),
  ],
);

export interface TaskCommand {
  name: string;
  parameters: Record<string, unknown>;
  total_step_count: number;
}

export const tasks = sqliteTable(
  "tasks",
  {
    ...commonColumns(),
    uuid: text("uuid").notNull().unique(),
    name: text("name").notNull(),
    type: text("type").notNull(),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    indexInJob: integer("index_in_job").notNull(),
    priority: integer("priority").notNull().default(50),
    status: text("status").$type<TaskStatus>().notNull(),
    workerId: integer("worker_id").references(() => workers.id, { onDelete: "set null" }),
    lastTouchedAt: timestamp("last_touched_at"),
    commands: text("commands", { mode: "json" }).notNull().$type<TaskCommand[]>(),
    activity: text("activity").notNull().default(""),
    stepsCompleted: integer("steps_completed").notNull().default(0),
    stepsTotal: integer("steps_total").notNull().default(0),
    /** How many of the task's dependencies are not completed; kept by the triggers of migration 0002. */
    unmetDependencies: integer("unmet_dependencies").notNull().default(0),
  },
  (t) => [
    // Also serves lookups by job alone (a job's tasks, the job's bulk status changes).
    uniqueIndex("tasks_job_index_idx").on(t.jobId, t.indexInJob),
    // A worker's tasks (its deletion, blocklist requeues, the foreign key's ON DELETE). Status is
    // kept out of the key: a task's status changes at its assignment and again at its end, and
    // every index holding it is rewritten then (about 3 µs and one more page per commit each).
    index("tasks_worker_idx").on(t.workerId),
    // Active tasks only, by worker: the scheduler's "your task again", the timeout checker's scan
    // of active tasks, requeueing a worker's active tasks. Not keyed on last_touched_at: every
    // task update touches the task, and that would rewrite the index each time.
    index("tasks_active_worker_idx")
      .on(t.workerId)
      .where(sql`${t.status} = 'active'`),
    // The scheduler walks this in its order; the WHERE must match the query in
    // src/manager/db/queries/scheduler.ts literally.
    // Tasks waiting for a dependency are left out, so a poll never walks past blocked tasks.
    index("tasks_schedulable_idx")
      .on(t.jobId, t.type, sql`${t.priority} desc`, t.id)
      .where(sql`${t.status} in ('queued', 'soft-failed') and ${t.unmetDependencies} = 0`),
  ],
);

/**
 * How many tasks of a job have each status, kept by the triggers of migration 0002 so a task
 * status change never counts the job's tasks. Rows may hold 0; a missing row means 0.
 */
export const jobTaskCounts = sqliteTable(
  "job_task_counts",
  {
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    status: text("status").$type<TaskStatus>().notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.status] })],
);

/**
 * How many runnable tasks (queued or soft-failed, no unmet dependency) a job has of each task
 * type, kept by the triggers of migration 0005, so the scheduler probes only the (job, type)
 * pairs that have work instead of every active job times every type a worker supports. Rows may
 * hold 0; a missing row means 0.
 */
export const jobRunnableTaskTypes = sqliteTable(
  "job_runnable_task_types",
  {
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.type] })],
);

export const taskDependencies = sqliteTable(
  "task_dependencies",
  {
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    dependencyId: integer("dependency_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.taskId, t.dependencyId] }),
    index("task_dependencies_dependency_idx").on(t.dependencyId),
  ],
);

export const taskFailures = sqliteTable(
  "task_failures",
  {
    createdAt: timestamp("created_at")
      .notNull()
      .$defaultFn(() => new Date()),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    workerId: integer("worker_id")
      .notNull()
      .references(() => workers.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.workerId] }), index("task_failures_worker_idx").on(t.workerId)],
);

export const jobBlocks = sqliteTable(
  "job_blocks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    createdAt: timestamp("created_at")
      .notNull()
      .$defaultFn(() => new Date()),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    workerId: integer("worker_id")
      .notNull()
      .references(() => workers.id, { onDelete: "cascade" }),
    taskType: text("task_type").notNull(),
  },
  (t) => [
    uniqueIndex("job_worker_tasktype").on(t.jobId, t.workerId, t.taskType),
    index("job_blocks_worker_idx").on(t.workerId),
  ],
);

/** A single row (id 1) pointing at the job that most recently produced an image. */
export const lastRendereds = sqliteTable("last_rendereds", {
  ...commonColumns(),
  jobId: integer("job_id")
    .notNull()
    .references(() => jobs.id, { onDelete: "cascade" }),
});

export const sleepSchedules = sqliteTable(
  "sleep_schedules",
  {
    ...commonColumns(),
    workerId: integer("worker_id")
      .notNull()
      .unique()
      .references(() => workers.id, { onDelete: "cascade" }),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(false),
    daysOfWeek: text("days_of_week").notNull().default(""),
    startTime: text("start_time").notNull().default(""),
    endTime: text("end_time").notNull().default(""),
    nextCheck: timestamp("next_check"),
  },
  (t) => [index("sleep_schedules_next_check_idx").on(t.isActive, t.nextCheck)],
);

/**
 * API tokens (docs/security.md). Only the SHA-256 of the secret is stored: the secret is 32
 * random bytes, so a fast hash is as good as a slow one. `role` is a role name of
 * src/manager/auth/roles.ts, checked where tokens are read.
 */
export const apiTokens = sqliteTable("api_tokens", {
  ...commonColumns(),
  uuid: text("uuid").notNull().unique(),
  name: text("name").notNull().unique(),
  role: text("role").notNull(),
  secretHash: text("secret_hash").notNull().unique(),
  lastUsedAt: timestamp("last_used_at"),
  expiresAt: timestamp("expires_at"),
});

/** Dashboard logins made with a token; they go when their token is revoked (deleted). */
export const apiSessions = sqliteTable(
  "api_sessions",
  {
    ...commonColumns(),
    secretHash: text("secret_hash").notNull().unique(),
    tokenId: integer("token_id")
      .notNull()
      .references(() => apiTokens.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    lastSeenAt: timestamp("last_seen_at").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (t) => [index("api_sessions_token_idx").on(t.tokenId)],
);

/**
 * Webhook deliveries (docs/webhooks.md): one row per event per configured hook, queued here so
 * deliveries survive a restart. Hooks live in the config file and are referred to by name.
 * `dedupe_key` names the event occurrence, so a re-sent event never queues a second delivery.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    ...commonColumns(),
    uuid: text("uuid").notNull().unique(),
    hookName: text("hook_name").notNull(),
    event: text("event").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    /** The format-independent event payload; each attempt formats it for the hook. */
    payload: text("payload", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    /** `failed`: given up; `dropped`: over the limit of pending deliveries of the hook. */
    status: text("status").$type<"pending" | "delivered" | "failed" | "dropped">().notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at").notNull(),
    lastAttemptAt: timestamp("last_attempt_at"),
    responseStatus: integer("response_status"),
    lastError: text("last_error").notNull().default(""),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_dedupe_idx").on(t.hookName, t.dedupeKey),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  ],
);

/**
 * Every time a task ran on a worker: who, from when until when, and how it ended. Written only
 * by the triggers of migration 0010 as a task becomes active and leaves `active`, so the
 * scheduler and the task updates do not know it exists. The worker is copied (not referenced),
 * so the history outlives a deleted worker. A task keeps its latest runs only (see docs/storage.md).
 */
export const taskRuns = sqliteTable(
  "task_runs",
  {
    ...commonColumns(),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    workerUuid: text("worker_uuid").notNull(),
    workerName: text("worker_name").notNull(),
    startedAt: timestamp("started_at").notNull(),
    /** null while it runs. */
    endedAt: timestamp("ended_at"),
    /** The task's status when the run ended (completed, failed, soft-failed, queued, ...); `active` while it runs. */
    outcome: text("outcome").$type<TaskStatus>().notNull(),
  },
  (t) => [index("task_runs_job_idx").on(t.jobId, t.startedAt), index("task_runs_task_idx").on(t.taskId)],
);

export type JobRow = typeof jobs.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type WorkerRow = typeof workers.$inferSelect;
export type WorkerTagRow = typeof workerTags.$inferSelect;
export type SleepScheduleRow = typeof sleepSchedules.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type ApiSessionRow = typeof apiSessions.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type TaskRunRow = typeof taskRuns.$inferSelect;
