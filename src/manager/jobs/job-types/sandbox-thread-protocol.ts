// Messages between the main thread and the job-type worker thread.
import type { CompileRequest } from "./engine";
import type { SerializedError } from "./errors";

export interface WorkerSettings {
  scriptsDir: string | null;
  timeoutMs: number;
  quarantined: string[];
}

export type WorkerOp =
  { op: "list" } | { op: "get"; name: string } | { op: "compile"; request: CompileRequest };

export type WorkerRequest = WorkerOp & { id: number; settings: WorkerSettings };

export interface LogEntry {
  level: "info" | "warn";
  message: string;
}

export type WorkerMessage =
  /** Sent once when the worker thread has loaded; the watchdog covers scripts, not startup. */
  | { kind: "ready" }
  | { id: number; kind: "evaluating"; file: string; identity: string }
  /** `result` of a compile is the CompiledJob as JSON text: far cheaper to pass than a structured clone. */
  | { id: number; kind: "done"; result: unknown; logs: LogEntry[] }
  | { id: number; kind: "failed"; error: SerializedError; logs: LogEntry[] };
