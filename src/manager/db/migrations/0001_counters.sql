CREATE TABLE `job_task_counts` (
	`job_id` integer NOT NULL,
	`status` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`job_id`, `status`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
DROP INDEX `tasks_schedulable_idx`;--> statement-breakpoint
ALTER TABLE `tasks` ADD `unmet_dependencies` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_schedulable_idx` ON `tasks` (`job_id`,`type`,"priority" desc,`id`) WHERE "tasks"."status" in ('queued', 'soft-failed') and "tasks"."unmet_dependencies" = 0;