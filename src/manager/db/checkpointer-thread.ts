// The WAL checkpoint thread: copies what the write-ahead log holds back into the database file
// on a connection of its own, so the copying and its two fsyncs never run on the thread that
// answers HTTP requests. PASSIVE checkpoints take no lock that writers or readers wait for.
// Started and stopped by src/manager/db/checkpointer.ts.
import { Database } from "bun:sqlite";
import type { CheckpointerReply, CheckpointerRequest } from "./checkpointer";

declare const self: Worker;

let conn: Database | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function checkpoint(): void {
  try {
    conn?.exec("PRAGMA wal_checkpoint(PASSIVE)");
  } catch (err) {
    self.postMessage({ kind: "failed", error: (err as Error).message } satisfies CheckpointerReply);
  }
}

self.onmessage = (event: MessageEvent<CheckpointerRequest>) => {
  const request = event.data;
  if (request.kind === "start") {
    // Never creates the file: the Manager opened it already (a missing one is an error to report).
    conn = new Database(request.path, { readwrite: true, create: false });
    timer = setInterval(checkpoint, request.intervalMs);
    return;
  }
  if (timer !== null) clearInterval(timer);
  timer = null;
  conn?.close();
  conn = null;
  self.postMessage({ kind: "stopped" } satisfies CheckpointerReply);
};
