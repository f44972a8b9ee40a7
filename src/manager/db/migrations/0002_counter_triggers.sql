-- Per-job counters kept by SQLite itself, so no code path can forget them and no task status
-- change has to rescan its job: jobs.steps_completed/steps_total (sums over the job's tasks),
-- job_task_counts (tasks per status) and tasks.unmet_dependencies (dependencies not completed).
-- Triggers are invisible to drizzle-kit: a future migration that rebuilds the tasks, jobs or
-- task_dependencies table drops them and must create them again (test/db checks they exist).
-- Tasks never move between jobs, so job_id changes are not tracked. The triggers' own writes
-- to tasks only set unmet_dependencies, which no trigger watches, so they never chain (bun's
-- SQLite has recursive triggers on).
-- Each statement that fires a writing trigger keeps a statement journal; with the default
-- temp_store that is a temporary file, so `PRAGMA temp_store = MEMORY` makes them much cheaper.

-- Backfill rows stored before this migration.
INSERT INTO job_task_counts (job_id, status, count)
  SELECT job_id, status, count(*) FROM tasks GROUP BY job_id, status;
--> statement-breakpoint
UPDATE jobs SET
  steps_completed = coalesce((SELECT sum(t.steps_completed) FROM tasks t WHERE t.job_id = jobs.id), 0),
  steps_total = coalesce((SELECT sum(t.steps_total) FROM tasks t WHERE t.job_id = jobs.id), 0);
--> statement-breakpoint
UPDATE tasks SET unmet_dependencies = (
  SELECT count(*) FROM task_dependencies d JOIN tasks dep ON dep.id = d.dependency_id
  WHERE d.task_id = tasks.id AND dep.status <> 'completed')
WHERE id IN (SELECT task_id FROM task_dependencies);
--> statement-breakpoint

-- A new job has no tasks yet, so no steps, whatever its inserter wrote; its tasks add theirs.
CREATE TRIGGER jobs_start_without_steps AFTER INSERT ON jobs
WHEN NEW.steps_completed <> 0 OR NEW.steps_total <> 0
BEGIN
  UPDATE jobs SET steps_completed = 0, steps_total = 0 WHERE id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER tasks_counted_on_insert AFTER INSERT ON tasks
BEGIN
  INSERT INTO job_task_counts (job_id, status, count) VALUES (NEW.job_id, NEW.status, 1)
    ON CONFLICT (job_id, status) DO UPDATE SET count = count + 1;
  UPDATE jobs SET
    steps_completed = steps_completed + NEW.steps_completed,
    steps_total = steps_total + NEW.steps_total
  WHERE id = NEW.job_id;
END;
--> statement-breakpoint
CREATE TRIGGER tasks_counted_on_delete AFTER DELETE ON tasks
BEGIN
  UPDATE job_task_counts SET count = count - 1 WHERE job_id = OLD.job_id AND status = OLD.status;
  UPDATE jobs SET
    steps_completed = steps_completed - OLD.steps_completed,
    steps_total = steps_total - OLD.steps_total
  WHERE id = OLD.job_id;
END;
--> statement-breakpoint
CREATE TRIGGER tasks_counted_on_status AFTER UPDATE OF status ON tasks
WHEN OLD.status <> NEW.status
BEGIN
  UPDATE job_task_counts SET count = count - 1 WHERE job_id = OLD.job_id AND status = OLD.status;
  INSERT INTO job_task_counts (job_id, status, count) VALUES (NEW.job_id, NEW.status, 1)
    ON CONFLICT (job_id, status) DO UPDATE SET count = count + 1;
END;
--> statement-breakpoint
CREATE TRIGGER tasks_counted_on_steps AFTER UPDATE OF steps_completed, steps_total ON tasks
WHEN OLD.steps_completed <> NEW.steps_completed OR OLD.steps_total <> NEW.steps_total
BEGIN
  UPDATE jobs SET
    steps_completed = steps_completed + NEW.steps_completed - OLD.steps_completed,
    steps_total = steps_total + NEW.steps_total - OLD.steps_total
  WHERE id = NEW.job_id;
END;
--> statement-breakpoint
-- Completing a task meets one dependency of each dependent; leaving "completed" (a requeue)
-- blocks them again. Found through task_dependencies_dependency_idx.
CREATE TRIGGER tasks_unblock_dependents AFTER UPDATE OF status ON tasks
WHEN (OLD.status = 'completed') <> (NEW.status = 'completed')
BEGIN
  UPDATE tasks SET unmet_dependencies = unmet_dependencies + (CASE WHEN NEW.status = 'completed' THEN -1 ELSE 1 END)
  WHERE id IN (SELECT d.task_id FROM task_dependencies d WHERE d.dependency_id = NEW.id);
END;
--> statement-breakpoint
CREATE TRIGGER task_dependencies_counted_on_insert AFTER INSERT ON task_dependencies
BEGIN
  UPDATE tasks SET unmet_dependencies = unmet_dependencies + 1
  WHERE id = NEW.task_id
    AND EXISTS (SELECT 1 FROM tasks dep WHERE dep.id = NEW.dependency_id AND dep.status <> 'completed');
END;
--> statement-breakpoint
-- A dependency that is deleted is no longer unmet. BEFORE: its dependency rows are gone by the
-- time AFTER triggers run, and its status with it once they cascade. Skipped when the whole job
-- is being deleted (its row is already gone then): dependencies stay within a job, so the
-- dependents go too, and a large job is deleted in about the time it takes without triggers.
CREATE TRIGGER tasks_unblock_dependents_on_delete BEFORE DELETE ON tasks
WHEN OLD.status <> 'completed' AND EXISTS (SELECT 1 FROM jobs WHERE id = OLD.job_id)
BEGIN
  UPDATE tasks SET unmet_dependencies = unmet_dependencies - 1
  WHERE id IN (SELECT d.task_id FROM task_dependencies d WHERE d.dependency_id = OLD.id) AND id <> OLD.id;
END;
--> statement-breakpoint
-- Only for a dependency row deleted by itself: when its dependency task is deleted, that task
-- no longer exists here and tasks_unblock_dependents_on_delete has counted it.
CREATE TRIGGER task_dependencies_counted_on_delete AFTER DELETE ON task_dependencies
BEGIN
  UPDATE tasks SET unmet_dependencies = unmet_dependencies - 1
  WHERE id = OLD.task_id
    AND EXISTS (SELECT 1 FROM tasks dep WHERE dep.id = OLD.dependency_id AND dep.status <> 'completed');
END;
