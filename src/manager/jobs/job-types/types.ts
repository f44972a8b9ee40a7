// Plain-data shapes of the job-type engine: job types as the API shows them, submissions going
// in, compiled jobs coming out.

/** One setting of a job type; field names and optionality follow Flamenco's AvailableJobSetting. */
export interface AvailableJobSetting {
  key: string;
  type: string;
  subtype?: string;
  choices?: string[];
  propargs?: Record<string, unknown>;
  description?: unknown;
  label?: unknown;
  default?: unknown;
  eval?: string;
  evalInfo?: { showLinkButton: boolean; description: string };
  visible?: string;
  required?: boolean;
  editable?: boolean;
}

export interface AvailableJobType {
  name: string;
  label: string;
  description?: string;
  /** `null` when the script's JOB_TYPE has no `settings` (Flamenco sends JSON null then). */
  settings: AvailableJobSetting[] | null;
  etag: string;
}

/** A submission after two-way variable replacement; field names as on the wire. */
export interface SubmittedJobInput {
  name: string;
  type: string;
  priority: number;
  settings?: Record<string, unknown>;
  metadata?: Record<string, string>;
  submitter_platform: string;
  worker_tag?: string;
  storage?: { shaman_checkout_id?: string };
}

export interface CompiledCommand {
  name: string;
  parameters: unknown;
  total_step_count: number;
}

export interface CompiledTask {
  uuid: string;
  name: string;
  type: string;
  priority: number;
  commands: CompiledCommand[];
  /** UUIDs of tasks of the same job. */
  dependencies: string[];
}

export interface CompiledJob {
  id: string;
  name: string;
  type: string;
  priority: number;
  settings: Record<string, unknown>;
  metadata: Record<string, string>;
  storageShamanCheckoutId: string;
  workerTagUUID: string;
  /** In `addTask` order, which defines `index_in_job`. */
  tasks: CompiledTask[];
}
