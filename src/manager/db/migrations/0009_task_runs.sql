CREATE TABLE `task_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`task_id` integer NOT NULL,
	`job_id` integer NOT NULL,
	`worker_uuid` text NOT NULL,
	`worker_name` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`outcome` text NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_runs_job_idx` ON `task_runs` (`job_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `task_runs_task_idx` ON `task_runs` (`task_id`);