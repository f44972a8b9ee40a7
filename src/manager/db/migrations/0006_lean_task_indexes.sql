DROP INDEX `tasks_job_status_idx`;--> statement-breakpoint
DROP INDEX `tasks_worker_status_idx`;--> statement-breakpoint
DROP INDEX `tasks_active_idx`;--> statement-breakpoint
CREATE INDEX `tasks_worker_idx` ON `tasks` (`worker_id`);--> statement-breakpoint
CREATE INDEX `tasks_active_worker_idx` ON `tasks` (`worker_id`) WHERE "tasks"."status" = 'active';