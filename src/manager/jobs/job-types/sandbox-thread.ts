// Entry point of the job-type worker thread: runs list/get/compile requests one at a time, so
// a slow or looping script never blocks the HTTP server's thread.
import { compileJob, getJobType, listJobTypes, type EngineContext } from "./engine";
import { serializeError } from "./errors";
import { CompiledScriptCache } from "./sandbox";
import { BUILTIN_SCRIPTS_DIR } from "./script-sources";
import type { LogEntry, WorkerMessage, WorkerRequest } from "./sandbox-thread-protocol";

declare const self: Worker;

const cache = new CompiledScriptCache();

function reply(message: WorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  const logs: LogEntry[] = [];
  const ctx: EngineContext = {
    roots: { scriptsDir: request.settings.scriptsDir, builtinDir: BUILTIN_SCRIPTS_DIR },
    timeoutMs: request.settings.timeoutMs,
    cache,
    log: (level, message) => logs.push({ level, message }),
    quarantined: new Set(request.settings.quarantined),
    onEvaluate: (script) =>
      reply({ id: request.id, kind: "evaluating", file: script.id, identity: script.identity }),
  };
  try {
    let result: unknown;
    if (request.op === "list") result = listJobTypes(ctx);
    else if (request.op === "get") result = getJobType(ctx, request.name);
    else result = compileJob(ctx, request.request);
    reply({ id: request.id, kind: "done", result, logs });
  } catch (err) {
    reply({ id: request.id, kind: "failed", error: serializeError(err), logs });
  }
};

reply({ kind: "ready" });
