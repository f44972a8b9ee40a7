// Fixtures for the event tests: saved rows (job, task, worker), which payload builders and
// forwarders take, and a broker whose warnings are kept. Tests waiting for asynchronous delivery
// use waitFor from test/support/wait.ts.
import type { JobRow, TaskRow, WorkerRow } from "../../../src/manager/db/schema";
import { createEventBroker, type EventBroker } from "../../../src/manager/events/broker";
import type { Logger } from "../../../src/shared/log";

export interface RecordingBroker {
  broker: EventBroker;
  /** The broker's warnings and the messages logged through `log`, in order. */
  logs: string[];
  /** A logger for the forwarders under test, writing into `logs`. */
  log: Logger;
}

export function recordingBroker(): RecordingBroker {
  const logs: string[] = [];
  return { broker: createEventBroker((m) => logs.push(m)), logs, log: (_level, m) => void logs.push(m) };
}

const T0 = new Date("2026-01-05T10:00:00.123Z");

export function jobRow(overrides: Partial<JobRow> = {}): JobRow {
  return {
    id: 1,
    createdAt: T0,
    updatedAt: T0,
    uuid: "5e7e9b2c-1111-4a55-9d3a-3f6a2b4c5d60",
    name: "Shot 010 lighting",
    jobType: "simple-blender-render",
    priority: 50,
    status: "active",
    activity: "",
    settings: {},
    metadata: {},
    deleteRequestedAt: null,
    storageShamanCheckoutId: "",
    workerTagId: null,
    stepsCompleted: 3,
    stepsTotal: 10,
    ...overrides,
  };
}

export function taskRow(overrides: Partial<TaskRow> = {}): TaskRow {
  return {
    id: 7,
    createdAt: T0,
    updatedAt: T0,
    uuid: "a1b2c3d4-2222-4e5f-8a9b-0c1d2e3f4a5b",
    name: "render-1-10",
    type: "blender",
    jobId: 1,
    indexInJob: 0,
    priority: 50,
    status: "active",
    workerId: 3,
    lastTouchedAt: T0,
    commands: [],
    activity: "Rendering frame 4",
    stepsCompleted: 1,
    unmetDependencies: 0,
    stepsTotal: 2,
    ...overrides,
  };
}

export function workerRow(overrides: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id: 3,
    createdAt: T0,
    updatedAt: T0,
    uuid: "c0ffee00-3333-4bbb-9ccc-ddddeeeeffff",
    secret: "hash",
    name: "render-node-01",
    address: "10.0.0.5",
    platform: "linux",
    software: "3.9",
    status: "awake",
    lastSeenAt: T0,
    statusRequested: "",
    lazyStatusRequest: false,
    supportedTaskTypes: "blender,misc",
    canRestart: false,
    ...overrides,
  };
}
