import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEventBroker, type PublishedEvent } from "../../src/events/broker";
import { createStorageLayout, type StorageLayout } from "../../src/storage/layout";
import {
  createTaskLogStore,
  rfc3339Local,
  TASK_LOG_MAX_BYTES,
  TASK_LOG_ROTATED_SUFFIX,
  TASK_LOG_TAIL_BYTES,
  type TaskLogStore,
} from "../../src/storage/task-logs";
import { FakeClock } from "../support/fake-clock";

const JOB = "1a2b3c4d-0000-4000-8000-000000000001";
const TASK = "9f8e7d6c-0000-4000-8000-000000000002";

let root: string;
let layout: StorageLayout;
let store: TaskLogStore;
let events: PublishedEvent[];
let clock: FakeClock;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tablao-logs-"));
  layout = createStorageLayout(root);
  const broker = createEventBroker();
  events = [];
  broker.listen((e) => events.push(e));
  clock = new FakeClock(Date.parse("2026-03-01T08:09:10.500Z"));
  store = createTaskLogStore({ layout, broker, clock });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const path = () => join(root, "job-1a2b", JOB, `task-${TASK}.txt`);
const content = () => readFileSync(path(), "utf8");

describe("appending", () => {
  test("text is stored verbatim with a trailing newline, one tasklog event per append", () => {
    store.append(JOB, TASK, "first");
    store.append(JOB, TASK, "second\nthird\n");
    expect(content()).toBe("first\nsecond\nthird\n");
    expect(events.map((e) => [e.topic, e.payload])).toEqual([
      [`/tasklog/${TASK}`, { task_id: TASK, log: "first" }],
      [`/tasklog/${TASK}`, { task_id: TASK, log: "second\nthird\n" }],
    ]);
  });

  test("an empty append writes nothing and announces nothing", () => {
    store.append(JOB, TASK, "");
    expect(existsSync(path())).toBe(false);
    expect(events).toEqual([]);
  });

  test("Manager lines carry an RFC 3339 local timestamp with second precision", () => {
    store.appendManagerLine(JOB, TASK, "task changed status queued -> active");
    expect(content()).toBe(`${rfc3339Local(clock.now())} task changed status queued -> active\n`);
    expect(rfc3339Local(clock.now())).toMatch(/^2026-03-01T\d\d:\d\d:10(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(rfc3339Local(clock.now()))).toBe(Date.parse("2026-03-01T08:09:10Z"));
  });

  test("a task without job goes to the jobless folder", () => {
    store.append("", TASK, "orphan");
    expect(readFileSync(join(root, "jobless", `task-${TASK}.txt`), "utf8")).toBe("orphan\n");
  });
});

describe("size cap", () => {
  test(`a log about to pass ${TASK_LOG_MAX_BYTES} bytes is rotated to ${TASK_LOG_ROTATED_SUFFIX}`, () => {
    const chunk = `${"x".repeat(1024 * 1024 - 1)}\n`;
    const chunks = Math.floor(TASK_LOG_MAX_BYTES / chunk.length);
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    expect(statSync(path()).size).toBe(chunks * chunk.length);
    expect(existsSync(path() + TASK_LOG_ROTATED_SUFFIX)).toBe(false);

    store.append(JOB, TASK, chunk);
    expect(statSync(path() + TASK_LOG_ROTATED_SUFFIX).size).toBe(chunks * chunk.length);
    expect(content()).toBe(chunk);

    // Rotating again replaces the older file: at most two files per task, whatever happens.
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    expect(statSync(path()).size).toBeLessThanOrEqual(TASK_LOG_MAX_BYTES);
    expect(statSync(path() + TASK_LOG_ROTATED_SUFFIX).size).toBeLessThanOrEqual(TASK_LOG_MAX_BYTES);
    expect(existsSync(path() + ".2")).toBe(false);
  });

  test("a log that existed before this store is measured on disk, not assumed empty", () => {
    const chunk = `${"x".repeat(1024 * 1024 - 1)}\n`;
    const chunks = Math.floor(TASK_LOG_MAX_BYTES / chunk.length);
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    const restarted = createTaskLogStore({ layout, broker: createEventBroker(), clock });
    restarted.append(JOB, TASK, chunk);
    expect(statSync(path() + TASK_LOG_ROTATED_SUFFIX).size).toBe(chunks * chunk.length);
    expect(content()).toBe(chunk);
  });

  test("a log removed meanwhile (file or whole job folder) is started afresh, without rotating", () => {
    const chunk = `${"x".repeat(1024 * 1024 - 1)}\n`;
    const chunks = Math.floor(TASK_LOG_MAX_BYTES / chunk.length);
    for (let i = 0; i < chunks; i++) store.append(JOB, TASK, chunk);
    rmSync(path());
    store.append(JOB, TASK, chunk);
    expect(existsSync(path() + TASK_LOG_ROTATED_SUFFIX)).toBe(false);
    expect(content()).toBe(chunk);

    rmSync(join(root, "job-1a2b"), { recursive: true });
    store.append(JOB, TASK, "after the job folder was removed");
    expect(content()).toBe("after the job folder was removed\n");
    // The fresh file's size is what counts from now on: it takes a full cap to rotate again.
    for (let i = 1; i < chunks; i++) store.append(JOB, TASK, chunk);
    expect(existsSync(path() + TASK_LOG_ROTATED_SUFFIX)).toBe(false);
  });
});

describe("tail and info", () => {
  test("missing or empty log: null", () => {
    expect(store.tail(JOB, TASK)).toBeNull();
    expect(store.info(JOB, TASK)).toBeNull();
  });

  test("a short log is returned whole; info gives size and URL", () => {
    store.append(JOB, TASK, "a\nb");
    expect(store.tail(JOB, TASK)).toBe("a\nb\n");
    expect(store.info(JOB, TASK)).toEqual({ size: 4, url: `/job-files/job-1a2b/${JOB}/task-${TASK}.txt` });
  });

  test(`a long log: the last ${TASK_LOG_TAIL_BYTES} bytes, from the first line boundary on`, () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(3, "0")}`);
    store.append(JOB, TASK, lines.join("\n"));
    const tail = store.tail(JOB, TASK)!;
    expect(tail.length).toBeLessThanOrEqual(TASK_LOG_TAIL_BYTES);
    expect(tail.startsWith("line ")).toBe(true);
    expect(tail.endsWith("line 399\n")).toBe(true);
    expect(content().endsWith(tail)).toBe(true);
  });

  test("a single line longer than the window is kept (cut at the window start)", () => {
    store.append(JOB, TASK, "y".repeat(5000));
    expect(store.tail(JOB, TASK)).toBe(`${"y".repeat(TASK_LOG_TAIL_BYTES - 1)}\n`);
  });
});
