-- job_runnable_task_types: per job and task type, how many tasks are runnable (queued or
-- soft-failed, no unmet dependency: exactly the rows of tasks_schedulable_idx). The scheduler
-- probes only the (job, type) pairs counted here. Kept like the counters of 0002: a rebuild of
-- the tasks table drops these triggers too. Tasks never change job or type. These triggers write
-- no tasks rows, so the unmet_dependencies updates of 0002 fire them without chaining further.

INSERT INTO job_runnable_task_types (job_id, type, count)
  SELECT job_id, type, count(*) FROM tasks
  WHERE status IN ('queued', 'soft-failed') AND unmet_dependencies = 0
  GROUP BY job_id, type;
--> statement-breakpoint
CREATE TRIGGER tasks_runnable_on_insert AFTER INSERT ON tasks
WHEN NEW.status IN ('queued', 'soft-failed') AND NEW.unmet_dependencies = 0
BEGIN
  INSERT INTO job_runnable_task_types (job_id, type, count) VALUES (NEW.job_id, NEW.type, 1)
    ON CONFLICT (job_id, type) DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
-- Skipped when the whole job is being deleted: its counts went with its row.
CREATE TRIGGER tasks_runnable_on_delete AFTER DELETE ON tasks
WHEN OLD.status IN ('queued', 'soft-failed') AND OLD.unmet_dependencies = 0
  AND EXISTS (SELECT 1 FROM jobs WHERE id = OLD.job_id)
BEGIN
  UPDATE job_runnable_task_types SET count = count - 1 WHERE job_id = OLD.job_id AND type = OLD.type;
END;
--> statement-breakpoint
CREATE TRIGGER tasks_runnable_on_change AFTER UPDATE OF status, unmet_dependencies ON tasks
WHEN (OLD.status IN ('queued', 'soft-failed') AND OLD.unmet_dependencies = 0)
  <> (NEW.status IN ('queued', 'soft-failed') AND NEW.unmet_dependencies = 0)
BEGIN
  INSERT INTO job_runnable_task_types (job_id, type, count)
    VALUES (NEW.job_id, NEW.type,
      CASE WHEN NEW.status IN ('queued', 'soft-failed') AND NEW.unmet_dependencies = 0 THEN 1 ELSE -1 END)
    ON CONFLICT (job_id, type) DO UPDATE SET count = count + excluded.count;
END;
