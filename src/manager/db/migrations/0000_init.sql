CREATE TABLE `job_blocks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`job_id` integer NOT NULL,
	`worker_id` integer NOT NULL,
	`task_type` text NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`worker_id`) REFERENCES `workers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_worker_tasktype` ON `job_blocks` (`job_id`,`worker_id`,`task_type`);--> statement-breakpoint
CREATE INDEX `job_blocks_worker_idx` ON `job_blocks` (`worker_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`job_type` text NOT NULL,
	`priority` integer DEFAULT 50 NOT NULL,
	`status` text NOT NULL,
	`activity` text DEFAULT '' NOT NULL,
	`settings` text NOT NULL,
	`metadata` text NOT NULL,
	`delete_requested_at` integer,
	`storage_shaman_checkout_id` text DEFAULT '' NOT NULL,
	`worker_tag_id` integer,
	`steps_completed` integer DEFAULT 0 NOT NULL,
	`steps_total` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`worker_tag_id`) REFERENCES `worker_tags`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_uuid_unique` ON `jobs` (`uuid`);--> statement-breakpoint
CREATE INDEX `jobs_status_priority_idx` ON `jobs` (`status`,`priority`);--> statement-breakpoint
CREATE INDEX `jobs_delete_requested_idx` ON `jobs` (`delete_requested_at`);--> statement-breakpoint
CREATE INDEX `jobs_updated_at_idx` ON `jobs` (`updated_at`);--> statement-breakpoint
CREATE TABLE `last_rendereds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`job_id` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sleep_schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`worker_id` integer NOT NULL,
	`is_active` integer DEFAULT false NOT NULL,
	`days_of_week` text DEFAULT '' NOT NULL,
	`start_time` text DEFAULT '' NOT NULL,
	`end_time` text DEFAULT '' NOT NULL,
	`next_check` integer,
	FOREIGN KEY (`worker_id`) REFERENCES `workers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sleep_schedules_worker_id_unique` ON `sleep_schedules` (`worker_id`);--> statement-breakpoint
CREATE INDEX `sleep_schedules_next_check_idx` ON `sleep_schedules` (`is_active`,`next_check`);--> statement-breakpoint
CREATE TABLE `task_dependencies` (
	`task_id` integer NOT NULL,
	`dependency_id` integer NOT NULL,
	PRIMARY KEY(`task_id`, `dependency_id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dependency_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_dependencies_dependency_idx` ON `task_dependencies` (`dependency_id`);--> statement-breakpoint
CREATE TABLE `task_failures` (
	`created_at` integer NOT NULL,
	`task_id` integer NOT NULL,
	`worker_id` integer NOT NULL,
	PRIMARY KEY(`task_id`, `worker_id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`worker_id`) REFERENCES `workers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_failures_worker_idx` ON `task_failures` (`worker_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`job_id` integer NOT NULL,
	`index_in_job` integer NOT NULL,
	`priority` integer DEFAULT 50 NOT NULL,
	`status` text NOT NULL,
	`worker_id` integer,
	`last_touched_at` integer,
	`commands` text NOT NULL,
	`activity` text DEFAULT '' NOT NULL,
	`steps_completed` integer DEFAULT 0 NOT NULL,
	`steps_total` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`worker_id`) REFERENCES `workers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_uuid_unique` ON `tasks` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_job_index_idx` ON `tasks` (`job_id`,`index_in_job`);--> statement-breakpoint
CREATE INDEX `tasks_job_status_idx` ON `tasks` (`job_id`,`status`);--> statement-breakpoint
CREATE INDEX `tasks_worker_status_idx` ON `tasks` (`worker_id`,`status`) WHERE "tasks"."worker_id" is not null;--> statement-breakpoint
CREATE INDEX `tasks_active_touched_idx` ON `tasks` (`last_touched_at`) WHERE "tasks"."status" = 'active';--> statement-breakpoint
CREATE INDEX `tasks_schedulable_idx` ON `tasks` (`job_id`,`type`,"priority" desc,`id`) WHERE "tasks"."status" in ('queued', 'soft-failed');--> statement-breakpoint
CREATE TABLE `worker_tag_membership` (
	`worker_tag_id` integer NOT NULL,
	`worker_id` integer NOT NULL,
	PRIMARY KEY(`worker_tag_id`, `worker_id`),
	FOREIGN KEY (`worker_tag_id`) REFERENCES `worker_tags`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`worker_id`) REFERENCES `workers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `worker_tag_membership_worker_idx` ON `worker_tag_membership` (`worker_id`);--> statement-breakpoint
CREATE TABLE `worker_tags` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `worker_tags_uuid_unique` ON `worker_tags` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `worker_tags_name_unique` ON `worker_tags` (`name`);--> statement-breakpoint
CREATE TABLE `workers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`uuid` text NOT NULL,
	`secret` text NOT NULL,
	`name` text NOT NULL,
	`address` text DEFAULT '' NOT NULL,
	`platform` text DEFAULT '' NOT NULL,
	`software` text DEFAULT '' NOT NULL,
	`status` text DEFAULT '' NOT NULL,
	`last_seen_at` integer,
	`status_requested` text DEFAULT '' NOT NULL,
	`lazy_status_request` integer DEFAULT false NOT NULL,
	`supported_task_types` text DEFAULT '' NOT NULL,
	`can_restart` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workers_uuid_unique` ON `workers` (`uuid`);--> statement-breakpoint
CREATE INDEX `workers_status_idx` ON `workers` (`status`);