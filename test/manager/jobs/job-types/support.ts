// Shared helpers of the job-type tests: throwaway script folders, engine contexts and a
// UUID-free view of compiled task graphs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { EngineContext } from "../../../../src/manager/jobs/job-types/engine";
import { CompiledScriptCache } from "../../../../src/manager/jobs/job-types/sandbox";
import { BUILTIN_SCRIPTS_DIR } from "../../../../src/manager/jobs/job-types/script-sources";
import type { CompiledJob, SubmittedJobInput } from "../../../../src/manager/jobs/job-types/types";

const createdDirs: string[] = [];

/** A fresh scripts folder holding `files` (path relative to the folder → content). */
export function scriptsDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "tablao-job-types-"));
  createdDirs.push(dir);
  writeScripts(dir, files);
  return dir;
}

export function writeScripts(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

export function removeScriptsDirs(): void {
  for (const dir of createdDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface LogLine {
  level: "info" | "warn";
  message: string;
}

/** An engine context as the worker thread builds one, for synchronous tests of the sandbox. */
export function engineContext(dir: string | null, timeoutMs = 2000): EngineContext & { logs: LogLine[] } {
  const logs: LogLine[] = [];
  return {
    roots: { scriptsDir: dir, builtinDir: BUILTIN_SCRIPTS_DIR },
    timeoutMs,
    cache: new CompiledScriptCache(),
    log: (level, message) => logs.push({ level, message }),
    quarantined: new Set(),
    onEvaluate: () => {},
    logs,
  };
}

export function submission(
  type: string,
  settings: Record<string, unknown>,
  extra: Partial<SubmittedJobInput> = {},
): SubmittedJobInput {
  return {
    name: "test job",
    type,
    priority: 50,
    submitter_platform: "linux",
    settings,
    metadata: {},
    ...extra,
  };
}

/** Tasks with dependencies given by task name instead of UUID, for pinning whole graphs. */
export function taskGraph(job: CompiledJob) {
  const nameOf = new Map(job.tasks.map((t) => [t.uuid, t.name]));
  return job.tasks.map(({ uuid: _uuid, dependencies, ...task }) => ({
    ...task,
    dependsOn: dependencies.map((d) => nameOf.get(d)),
  }));
}
