DROP INDEX `tasks_active_touched_idx`;--> statement-breakpoint
DROP INDEX `tasks_worker_status_idx`;--> statement-breakpoint
CREATE INDEX `tasks_active_idx` ON `tasks` (`status`) WHERE "tasks"."status" = 'active';--> statement-breakpoint
CREATE INDEX `tasks_worker_status_idx` ON `tasks` (`worker_id`,`status`);