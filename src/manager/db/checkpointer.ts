// WAL checkpoints in the background (the thread is src/manager/db/checkpointer-thread.ts). Left
// to itself, SQLite checkpoints on the connection that commits, every thousand pages: under a
// busy farm that is every few dozen group commits, each one copying pages and waiting for two
// fsyncs while no request is answered. The thread does that work every
// WAL_CHECKPOINT_INTERVAL_MS instead; the Manager's own connection keeps an automatic checkpoint
// at WAL_AUTOCHECKPOINT_PAGES only as a bound on the log's size: a background checkpoint that
// never catches up with the writes (the log is restarted only once all of it was copied) would
// otherwise let it grow for as long as the load lasts.
import type { Database } from "bun:sqlite";

/** How often the thread copies the log's new pages into the database file. */
export const WAL_CHECKPOINT_INTERVAL_MS = 100;
/** The log's size (in pages; 40 MiB at SQLite's 4 KiB page) at which a commit checkpoints itself. */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** SQLite's own threshold, given back to the Manager's connection should the thread fail. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;
/** How long stopping waits for the thread to close its connection before ending it. */
export const CHECKPOINTER_STOP_TIMEOUT_MS = 5_000;

export type CheckpointerRequest = { kind: "start"; path: string; intervalMs: number } | { kind: "stop" };
export type CheckpointerReply = { kind: "failed"; error: string } | { kind: "stopped" };

/** Bun's Worker can stop keeping the process alive. */
type BunWorker = Worker & { unref(): void };

const THREAD_URL = new URL("./checkpointer-thread.ts", import.meta.url).href;

export interface Checkpointer {
  /** Stops the thread once its connection is closed (the final checkpoint is the caller's). */
  stop(): Promise<void>;
}

/**
 * Starts background checkpoints of the database file at `path`, which `sqlite` (the Manager's
 * connection) has open in WAL mode. A failed checkpoint is reported once per distinct message.
 */
export function startCheckpointer(sqlite: Database, path: string, warn: (msg: string) => void): Checkpointer {
  sqlite.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  const thread = new Worker(THREAD_URL) as BunWorker;
  thread.unref();
  let lastError = "";
  const stopped = Promise.withResolvers<void>();
  thread.onmessage = (event: MessageEvent<CheckpointerReply>) => {
    const reply = event.data;
    if (reply.kind === "stopped") return stopped.resolve();
    if (reply.error === lastError) return;
    lastError = reply.error;
    warn(
      `background WAL checkpoint failed (commits checkpoint the log themselves meanwhile): ${reply.error}`,
    );
  };
  thread.onerror = (event) => {
    event.preventDefault();
    sqlite.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
    warn(
      `background WAL checkpoint thread failed (commits checkpoint the log themselves again): ${event.message}`,
    );
    stopped.resolve();
  };
  thread.postMessage({
    kind: "start",
    path,
    intervalMs: WAL_CHECKPOINT_INTERVAL_MS,
  } satisfies CheckpointerRequest);
  return {
    async stop() {
      thread.postMessage({ kind: "stop" } satisfies CheckpointerRequest);
      const timeout = setTimeout(stopped.resolve, CHECKPOINTER_STOP_TIMEOUT_MS);
      await stopped.promise;
      clearTimeout(timeout);
      thread.terminate();
    },
  };
}
