-- task_runs: one row per stretch a task spends `active` on a worker, for the job timeline and its
-- figures. Kept by triggers on tasks so the scheduler and the task updates stay as they are. Times
-- are the task row's updated_at, which every status change sets from the Manager's clock. A
-- rebuild of the tasks table drops these triggers (like those of 0002 and 0005).
-- A task keeps its newest 50 runs: older ones are removed as a new one starts.
CREATE TRIGGER task_runs_start AFTER UPDATE OF status, worker_id ON tasks
WHEN NEW.status = 'active' AND NEW.worker_id IS NOT NULL
  AND (OLD.status <> 'active' OR OLD.worker_id IS NOT NEW.worker_id)
BEGIN
  -- A task handed to another worker without leaving `active` ends its previous run as requeued.
  UPDATE task_runs SET ended_at = NEW.updated_at, updated_at = NEW.updated_at, outcome = 'queued'
    WHERE task_id = NEW.id AND ended_at IS NULL;
  INSERT INTO task_runs (created_at, updated_at, task_id, job_id, worker_uuid, worker_name, started_at, outcome)
    SELECT NEW.updated_at, NEW.updated_at, NEW.id, NEW.job_id, w.uuid, w.name, NEW.updated_at, 'active'
    FROM workers w WHERE w.id = NEW.worker_id;
  DELETE FROM task_runs WHERE task_id = NEW.id AND id <= (
    SELECT id FROM task_runs WHERE task_id = NEW.id ORDER BY id DESC LIMIT 1 OFFSET 50);
END;
--> statement-breakpoint
CREATE TRIGGER task_runs_end AFTER UPDATE OF status ON tasks
WHEN OLD.status = 'active' AND NEW.status <> 'active'
BEGIN
  UPDATE task_runs SET ended_at = NEW.updated_at, updated_at = NEW.updated_at, outcome = NEW.status
    WHERE task_id = NEW.id AND ended_at IS NULL;
END;
