import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type OpenedDatabase } from "../../../src/manager/db/open";
import { afterCommit, inTransaction } from "../../../src/manager/db/transaction";
import { createEventBroker, type EventBroker, type PublishedEvent } from "../../../src/manager/events/broker";
import { createStorageLayout, type StorageLayout } from "../../../src/manager/storage/layout";
import {
  createTaskLogStore,
  rfc3339Local,
  TASK_LOG_MAX_BYTES,
  TASK_LOG_QUEUE_MAX_BYTES,
  TASK_LOG_RETRY_MS,
  TASK_LOG_ROTATED_SUFFIX,
  TASK_LOG_TAIL_BYTES,
  TaskLogDiscardedError,
  TaskLogWriteError,
  type TaskLogStore,
} from "../../../src/manager/storage/task-logs";
import { TASK_LOG_WARNING_INTERVAL_MS } from "../../../src/manager/storage/task-log-trouble";
import { FakeClock } from "../../support/fake-clock";
import { rejectedBy } from "../../support/thrown";
import { mountTmpfs, type Tmpfs } from "../../support/tmpfs";

const JOB = "1a2b3c4d-0000-4000-8000-000000000001";
const TASK = "9f8e7d6c-0000-4000-8000-000000000002";

let root: string;
let layout: StorageLayout;
let store: TaskLogStore;
let events: PublishedEvent[];
let clock: FakeClock;
let warnings: string[];
let database: OpenedDatabase;
let broker: EventBroker;
/** The store's dependencies, on a real database's transactions. */
const deps = (b: EventBroker, warn: (msg: string) => void) => ({
  layout,
  broker: b,
  clock,
  warn,
  afterCommit: (fn: () => void) => afterCommit(database.db, fn),
});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tablao-logs-"));
  layout = createStorageLayout(root);
  broker = createEventBroker();
  events = [];
  broker.listen((e) => events.push(e));
  clock = new FakeClock(Date.parse("2026-03-01T08:09:10.500Z"));
  warnings = [];
  database = openDatabase(":memory:");
  store = createTaskLogStore(deps(broker, (msg) => warnings.push(msg)));
});
afterEach(() => {
  database.close();
  rmSync(root, { recursive: true, force: true });
});

const path = () => join(root, "job-1a2b", JOB, `task-${TASK}.txt`);
/** One event-loop turn: a batch queued now has been handed to the writer thread by then. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** The file as on disk once everything appended so far was written. */
const content = async () => {
  await store.flush();
  return readFileSync(path(), "utf8");
};

describe("appending", () => {
  test("text is stored verbatim with a trailing newline, one tasklog event per append", async () => {
    store.append(JOB, TASK, "first");
    store.append(JOB, TASK, "second\nthird\n");
    expect(await content()).toBe("first\nsecond\nthird\n");
    expect(events.map((e) => [e.topic, e.payload])).toEqual([
      [`/tasklog/${TASK}`, { task_id: TASK, log: "first" }],
      [`/tasklog/${TASK}`, { task_id: TASK, log: "second\nthird\n" }],
    ]);
  });

  test("inside a database change, text is queued and announced at its commit, or never", async () => {
    inTransaction(database.db, () => {
      store.append(JOB, TASK, "kept");
      expect(events).toEqual([]);
    });
    expect(events.map((e) => e.payload)).toEqual([{ task_id: TASK, log: "kept" }]);
    expect(() =>
      inTransaction(database.db, () => {
        store.appendManagerLine(JOB, TASK, "task changed status queued -> active");
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(await content()).toBe("kept\n");
    expect(events).toHaveLength(1);
  });

  test("an empty append writes nothing and announces nothing", async () => {
    store.append(JOB, TASK, "");
    await store.flush();
    expect(existsSync(path())).toBe(false);
    expect(events).toEqual([]);
  });

  test("Manager lines carry an RFC 3339 local timestamp with second precision", async () => {
    store.appendManagerLine(JOB, TASK, "task changed status queued -> active");
    expect(await content()).toBe(`${rfc3339Local(clock.now())} task changed status queued -> active\n`);
    expect(rfc3339Local(clock.now())).toMatch(/^2026-03-01T\d\d:\d\d:10(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(rfc3339Local(clock.now()))).toBe(Date.parse("2026-03-01T08:09:10Z"));
  });

  test("a task without job goes to the jobless folder", async () => {
    store.append("", TASK, "orphan");
    await store.flush();
    expect(readFileSync(join(root, "jobless", `task-${TASK}.txt`), "utf8")).toBe("orphan\n");
  });
});

describe(`rotation at ${TASK_LOG_MAX_BYTES} bytes`, () => {
  const MiB = 1024 * 1024;
  const chunk = `${"x".repeat(MiB - 1)}\n`;
  const chunks = Math.floor(TASK_LOG_MAX_BYTES / chunk.length);
  const rotated = () => path() + TASK_LOG_ROTATED_SUFFIX;
  const sizeOf = (file: string) => statSync(file).size;
  /** A numbered piece of `bytes` bytes (newline included), so its place in the log can be told. */
  const piece = (n: number, bytes: number) => {
    const head = `piece ${String(n).padStart(4, "0")} `;
    return `${head}${"p".repeat(bytes - head.length - 1)}\n`;
  };

  test(`a log about to pass the cap is renamed to ${TASK_LOG_ROTATED_SUFFIX} first, replacing an older one`, async () => {
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    await store.flush();
    expect(sizeOf(path())).toBe(chunks * chunk.length);
    expect(existsSync(rotated())).toBe(false);

    await store.appendAndWait(JOB, TASK, "the latest");
    expect(readFileSync(path(), "utf8")).toBe("the latest\n");
    expect(sizeOf(rotated())).toBe(chunks * chunk.length);

    // Rotating again replaces the older file: at most two files per task, whatever happens.
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    await store.flush();
    expect(readFileSync(rotated(), "utf8").startsWith("the latest\n")).toBe(true);
    expect(sizeOf(path())).toBe(chunk.length);
    expect(existsSync(path() + ".2")).toBe(false);
  });

  test("an append larger than the room left rotates before it is written, never after", async () => {
    store.append(JOB, TASK, chunk.repeat(3));
    await store.appendAndWait(JOB, TASK, `${"y".repeat(4 * MiB - 1)}\n`);
    await store.appendAndWait(JOB, TASK, `${"z".repeat(4 * MiB - 1)}\n`);
    expect(sizeOf(path())).toBe(4 * MiB);
    expect(readFileSync(path(), "utf8")).toStartWith("zzz");
    expect(sizeOf(rotated())).toBe(7 * MiB);
    expect(readFileSync(rotated(), "utf8").endsWith("y\n")).toBe(true);
  });

  test("30 MB of appends in 1 MiB and 4 MiB pieces: never past twice the cap, the latest text kept, in order", async () => {
    const written: string[] = [];
    let total = 0;
    for (let n = 0; total < 30_000_000; n++) {
      const text = piece(n, (n % 3 === 2 ? 4 : 1) * MiB);
      written.push(text);
      total += text.length;
      if (n % 2 === 0) store.append(JOB, TASK, text);
      else await store.appendAndWait(JOB, TASK, text);
      await store.flush();
      const current = sizeOf(path());
      const previous = existsSync(rotated()) ? sizeOf(rotated()) : 0;
      expect(current).toBeLessThanOrEqual(TASK_LOG_MAX_BYTES);
      expect(previous).toBeLessThanOrEqual(TASK_LOG_MAX_BYTES);
      expect(current + previous).toBeLessThanOrEqual(2 * TASK_LOG_MAX_BYTES);
    }
    // The two files, older one first, are the last pieces appended, whole and in order.
    const kept = readFileSync(rotated(), "utf8") + readFileSync(path(), "utf8");
    expect(kept.length).toBeGreaterThan(TASK_LOG_MAX_BYTES);
    expect(written.join("").endsWith(kept)).toBe(true);
    expect(kept).toStartWith("piece ");
    expect(readFileSync(path(), "utf8").endsWith(written.at(-1)!)).toBe(true);
    expect(await store.tail(JOB, TASK)).toBe(`${"p".repeat(TASK_LOG_TAIL_BYTES - 1)}\n`);
  });

  test("text queued in one go still rotates at the cap, not after it, and keeps its order", async () => {
    const pieces = Array.from({ length: chunks + 2 }, (_, n) => piece(n, MiB));
    for (const text of pieces) store.append(JOB, TASK, text);
    expect(await content()).toBe(pieces.slice(chunks).join(""));
    expect(readFileSync(rotated(), "utf8")).toBe(pieces.slice(0, chunks).join(""));
  });

  test("a log that existed before this store is measured on disk, not assumed empty", async () => {
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    await store.flush();
    const restarted = createTaskLogStore(deps(createEventBroker(), () => {}));
    await restarted.appendAndWait(JOB, TASK, "after a restart");
    expect(sizeOf(rotated())).toBe(chunks * chunk.length);
    expect(readFileSync(path(), "utf8")).toBe("after a restart\n");
  });

  test("a log removed meanwhile (file or whole job folder) is started afresh, without rotating", async () => {
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    await store.flush();
    rmSync(path());
    await store.appendAndWait(JOB, TASK, chunk);
    expect(await content()).toBe(chunk);
    expect(existsSync(rotated())).toBe(false);
    // The fresh file's size is what counts from now on: it takes a full cap to rotate again.
    for (let i = 1; i < chunks; i++) store.append(JOB, TASK, chunk);
    await store.flush();
    expect(existsSync(rotated())).toBe(false);

    rmSync(join(root, "job-1a2b"), { recursive: true });
    await store.appendAndWait(JOB, TASK, "after the job folder was removed");
    expect(await content()).toBe("after the job folder was removed\n");
    expect(existsSync(rotated())).toBe(false);
  });

  test("a single append larger than the cap is refused (the caller limits it)", async () => {
    await rejectedBy(RangeError, () => store.appendAndWait(JOB, TASK, "z".repeat(TASK_LOG_MAX_BYTES)));
    expect(() => store.append(JOB, TASK, "z".repeat(TASK_LOG_MAX_BYTES))).toThrow(RangeError);
    await store.appendAndWait(JOB, TASK, `${"z".repeat(TASK_LOG_MAX_BYTES - 1)}\n`);
    expect(sizeOf(path())).toBe(TASK_LOG_MAX_BYTES);
  });
});

describe("text a caller waits for (appendAndWait)", () => {
  test("resolves once the text is in the file, then announces it", async () => {
    const written = store.appendAndWait(JOB, TASK, "acknowledged");
    expect(events).toEqual([]);
    await written;
    expect(readFileSync(path(), "utf8")).toBe("acknowledged\n");
    expect(events.map((e) => e.payload)).toEqual([{ task_id: TASK, log: "acknowledged" }]);
    expect(await store.appendAndWait(JOB, TASK, "")).toBeUndefined();
    expect(events).toHaveLength(1);
  });

  test("many waiting appends share batches and keep their order, with the queued lines", async () => {
    store.append(JOB, TASK, "manager line first");
    const lines = Array.from({ length: 200 }, (_, i) => `worker line ${i}`);
    await Promise.all(lines.map((line) => store.appendAndWait(JOB, TASK, line)));
    expect(readFileSync(path(), "utf8")).toBe(["manager line first", ...lines].map((l) => `${l}\n`).join(""));
  });

  test("a failed write rejects, naming the file and the OS error; the text is not kept for later", async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    const refused = await rejectedBy(TaskLogWriteError, () => store.appendAndWait(JOB, TASK, "refused"));
    expect(refused.message).toStartWith(`cannot write task log ${path()}: `);
    expect(refused.message).toMatch(/EEXIST|ENOTDIR/);
    expect(events).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path());

    rmSync(join(root, "job-1a2b"));
    await store.appendAndWait(JOB, TASK, "sent again");
    expect(await content()).toBe("sent again\n");
    expect(warnings.at(-1)).toBe("task logs: writing works again");
  });

  test(`a failing disk is warned about once per ${TASK_LOG_WARNING_INTERVAL_MS} ms, with the count of the failures between`, async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    for (let i = 0; i < 3; i++)
      await rejectedBy(TaskLogWriteError, () => store.appendAndWait(JOB, TASK, "x"));
    expect(warnings).toHaveLength(1);
    clock.advance(TASK_LOG_WARNING_INTERVAL_MS);
    await rejectedBy(TaskLogWriteError, () => store.appendAndWait(JOB, TASK, "x"));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toEndWith("(2 more failed write(s) before this one)");
    await rejectedBy(TaskLogWriteError, () => store.appendAndWait(JOB, TASK, "x"));
    rmSync(join(root, "job-1a2b"));
    await store.appendAndWait(JOB, TASK, "back");
    expect(warnings.slice(2)).toEqual([
      "task logs: writing works again; 1 more write(s) had failed meanwhile",
    ]);
  });

  test("a log waiting for a retry of Manager lines is tried at once when a worker waits on it", async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    store.append(JOB, TASK, "manager line");
    await store.flush();
    expect(warnings[0]).toContain(`retrying in ${TASK_LOG_RETRY_MS} ms`);
    rmSync(join(root, "job-1a2b"));
    await store.appendAndWait(JOB, TASK, "worker line"); // no clock advance: no waiting for the timer
    expect(readFileSync(path(), "utf8")).toBe("manager line\nworker line\n");
  });

  test("text of a job whose logs are discarded before it was written is refused", async () => {
    const waiting = store.appendAndWait(JOB, TASK, "too late");
    await store.discard(layout.jobDir(JOB));
    await rejectedBy(TaskLogDiscardedError, () => waiting);
    expect(existsSync(path())).toBe(false);
  });

  test(`with ${TASK_LOG_QUEUE_MAX_BYTES} bytes waiting for a failing disk, waiting appends are refused at once`, async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    const big = `${"z".repeat(1024 * 1024 - 1)}\n`;
    for (let i = 0; i < TASK_LOG_QUEUE_MAX_BYTES / big.length; i++) store.append(JOB, TASK, big);
    await store.flush();
    const elsewhere = "2b3c4d5e-0000-4000-8000-000000000004";
    const refused = await rejectedBy(TaskLogWriteError, () => store.appendAndWait(elsewhere, TASK, "x"));
    expect(refused.message).toContain(`${TASK_LOG_QUEUE_MAX_BYTES} bytes of log text are already waiting`);
  });

  test("after close, waiting appends are refused", async () => {
    await store.close();
    const refused = await rejectedBy(TaskLogWriteError, () => store.appendAndWait(JOB, TASK, "late"));
    expect(refused.message).toContain("the Manager is stopping");
  });
});

describe("writing in the background", () => {
  const OTHER_TASK = "9f8e7d6c-0000-4000-8000-000000000003";
  const otherPath = () => join(root, "job-1a2b", JOB, `task-${OTHER_TASK}.txt`);

  test("appends return before the disk is touched; their order per log is kept", async () => {
    for (let i = 0; i < 100; i++) {
      store.append(JOB, TASK, `line ${i}`);
      store.append(JOB, OTHER_TASK, `other ${i}`);
    }
    expect(existsSync(path())).toBe(false);
    await store.flush();
    expect(readFileSync(path(), "utf8")).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(""));
    expect(readFileSync(otherPath(), "utf8")).toBe(
      Array.from({ length: 100 }, (_, i) => `other ${i}\n`).join(""),
    );
  });

  test("text appended while a write is under way follows it", async () => {
    store.append(JOB, TASK, "first");
    const first = store.flush();
    await nextTurn(); // "first" is now with the writer thread
    store.append(JOB, TASK, "second");
    await first;
    expect(await content()).toBe("first\nsecond\n");
  });

  test("flush of one log or folder does not wait for others, and reads see what was appended", async () => {
    store.append(JOB, TASK, "mine");
    expect(await store.tail(JOB, TASK)).toBe("mine\n");
    expect(await store.info(JOB, TASK)).toEqual({
      size: 5,
      url: `/job-files/job-1a2b/${JOB}/task-${TASK}.txt`,
    });
    store.append(JOB, OTHER_TASK, "theirs");
    await store.flush(layout.jobDir(JOB));
    expect(readFileSync(otherPath(), "utf8")).toBe("theirs\n");

    store.append("2b3c4d5e-0000-4000-8000-000000000004", TASK, "another job's");
    let flushed = false;
    void store.flush(path()).then(() => (flushed = true));
    await Promise.resolve();
    expect(flushed).toBe(true); // nothing of this log waits, whatever another job's log does
  });

  test("discard drops what is queued or waiting for a retry under a folder, and leaves others", async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    store.append(JOB, TASK, "retried later");
    await store.flush();
    store.append(JOB, OTHER_TASK, "also queued");
    const elsewhere = "2b3c4d5e-0000-4000-8000-000000000004";
    store.append(elsewhere, TASK, "another job");
    await store.discard(layout.jobDir(JOB));

    rmSync(join(root, "job-1a2b"));
    clock.advance(TASK_LOG_RETRY_MS);
    await store.flush();
    expect(existsSync(join(root, "job-1a2b"))).toBe(false);
    expect(readFileSync(layout.taskLogPath(elsewhere, TASK), "utf8")).toBe("another job\n");
    await store.close();
    expect(warnings.at(-1)).not.toContain("could not be written");
  });

  test("discard also drops a batch that was being written and failed meanwhile", async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    store.append(JOB, TASK, "in flight");
    await nextTurn(); // the text is with the writer thread, which has not answered yet
    await store.discard(layout.jobDir(JOB));
    expect(warnings).toHaveLength(1); // the write under way failed and was queued for a retry

    rmSync(join(root, "job-1a2b"));
    clock.advance(TASK_LOG_RETRY_MS);
    await store.flush();
    expect(existsSync(join(root, "job-1a2b"))).toBe(false);
  });

  test("a failed write keeps the text queued, warns, and retries until the disk works again", async () => {
    // A file where the job-XXXX folder should be: every write under it fails.
    writeFileSync(join(root, "job-1a2b"), "in the way");
    store.append(JOB, TASK, "kept");
    await store.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`task log ${path()}`);
    expect(warnings[0]).toContain(`retrying in ${TASK_LOG_RETRY_MS} ms`);
    store.append(JOB, TASK, "and this");
    await store.flush();
    expect(warnings).toHaveLength(1); // waits for the retry, no second attempt meanwhile

    rmSync(join(root, "job-1a2b"));
    clock.advance(TASK_LOG_RETRY_MS);
    expect(await content()).toBe("kept\nand this\n");
  });

  test("close() makes one last attempt and reports what could not be written", async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    store.append(JOB, TASK, "doomed");
    await store.flush();
    await store.close();
    expect(warnings.at(-1)).toBe("task logs: 7 bytes of log text in 1 log(s) could not be written to disk");
  });

  test(`beyond ${TASK_LOG_QUEUE_MAX_BYTES} bytes waiting for a failing disk, new text is dropped and counted`, async () => {
    writeFileSync(join(root, "job-1a2b"), "in the way");
    const big = `${"z".repeat(1024 * 1024 - 1)}\n`;
    const fit = TASK_LOG_QUEUE_MAX_BYTES / big.length;
    for (let i = 0; i < fit + 2; i++) store.append(JOB, TASK, big);
    expect(warnings.filter((w) => w.includes("dropping new log text"))).toHaveLength(1);
    // Live viewers still got every chunk.
    expect(events).toHaveLength(fit + 2);

    rmSync(join(root, "job-1a2b"));
    clock.advance(TASK_LOG_RETRY_MS);
    await store.flush();
    store.append(JOB, TASK, "back");
    expect(warnings.at(-1)).toBe(
      `task logs: the disk caught up; ${2 * big.length} bytes of log text were dropped meanwhile`,
    );
    // The 64 queued chunks went out, rotating every 8: the last eight are in the rotated file.
    expect(await content()).toBe("back\n");
    expect(readFileSync(path() + TASK_LOG_ROTATED_SUFFIX, "utf8")).toBe(
      big.repeat(Math.floor(TASK_LOG_MAX_BYTES / big.length)),
    );
  });
});

describe("tail and info", () => {
  test("missing or empty log: null", async () => {
    expect(await store.tail(JOB, TASK)).toBeNull();
    expect(await store.info(JOB, TASK)).toBeNull();
  });

  test("a short log is returned whole; info gives size and URL", async () => {
    store.append(JOB, TASK, "a\nb");
    expect(await store.tail(JOB, TASK)).toBe("a\nb\n");
    expect(await store.info(JOB, TASK)).toEqual({
      size: 4,
      url: `/job-files/job-1a2b/${JOB}/task-${TASK}.txt`,
    });
  });

  test(`a long log: the last ${TASK_LOG_TAIL_BYTES} bytes, from the first line boundary on`, async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(3, "0")}`);
    store.append(JOB, TASK, lines.join("\n"));
    const tail = (await store.tail(JOB, TASK))!;
    expect(tail.length).toBeLessThanOrEqual(TASK_LOG_TAIL_BYTES);
    expect(tail.startsWith("line ")).toBe(true);
    expect(tail.endsWith("line 399\n")).toBe(true);
    expect((await content()).endsWith(tail)).toBe(true);
  });

  test("a single line longer than the window is kept (cut at the window start)", async () => {
    store.append(JOB, TASK, "y".repeat(5000));
    expect(await store.tail(JOB, TASK)).toBe(`${"y".repeat(TASK_LOG_TAIL_BYTES - 1)}\n`);
  });
});

describe("on a small disk of its own (tmpfs)", () => {
  let disk: Tmpfs;
  const logPath = () => layout.taskLogPath(JOB, TASK);
  beforeEach(() => {
    const dir = join(root, "tmpfs");
    mkdirSync(dir);
    disk = mountTmpfs(dir, 1024 * 1024);
    layout = createStorageLayout(dir);
    store = createTaskLogStore(deps(broker, (msg) => warnings.push(msg)));
  });
  afterEach(async () => {
    await store.close();
    disk.unmount();
  });

  test("a write the full disk cuts short is undone; once space returns, writing goes on", async () => {
    await store.appendAndWait(JOB, TASK, "before the disk filled up");
    disk.fill();
    // Larger than the slack of the log's last page, so part of it would fit.
    const refused = await rejectedBy(TaskLogWriteError, () =>
      store.appendAndWait(JOB, TASK, "w".repeat(64 * 1024)),
    );
    expect(refused.message).toBe(
      `cannot write task log ${logPath()}: ENOSPC: no space left on device, write`,
    );
    expect(readFileSync(logPath(), "utf8")).toBe("before the disk filled up\n");

    disk.free();
    await store.appendAndWait(JOB, TASK, "after space returned");
    expect(readFileSync(logPath(), "utf8")).toBe("before the disk filled up\nafter space returned\n");
  });

  test("a read-only disk refuses with EROFS, and writing goes on once it is writable again", async () => {
    await store.appendAndWait(JOB, TASK, "before");
    disk.readOnly(true);
    try {
      const refused = await rejectedBy(TaskLogWriteError, () => store.appendAndWait(JOB, TASK, "refused"));
      expect(refused.message).toContain("EROFS");
    } finally {
      disk.readOnly(false);
    }
    await store.appendAndWait(JOB, TASK, "after");
    expect(readFileSync(logPath(), "utf8")).toBe("before\nafter\n");
  });

  test("the Manager's own lines wait for space and are written once it returns", async () => {
    disk.fill();
    store.append(JOB, TASK, "x".repeat(8 * 1024));
    await store.flush();
    expect(warnings).toEqual([
      `task log ${logPath()}: ENOSPC: no space left on device, write; retrying in ${TASK_LOG_RETRY_MS} ms`,
    ]);
    disk.free();
    clock.advance(TASK_LOG_RETRY_MS);
    await store.flush();
    expect(readFileSync(logPath(), "utf8")).toBe(`${"x".repeat(8 * 1024)}\n`);
    expect(warnings.at(-1)).toBe("task logs: writing works again");
  });
});
