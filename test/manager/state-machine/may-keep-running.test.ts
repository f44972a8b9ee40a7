// The may-i-run decision, in the order its checks apply (see docs/worker-protocol.md).
import { describe, expect, test } from "bun:test";
import { mayKeepRunning } from "../../../src/manager/state-machine/may-keep-running";
import type { StoredWorkerStatus } from "../../../src/shared/statuses";

const worker = { id: 7, statusRequested: "" as StoredWorkerStatus, lazyStatusRequest: false };

describe("mayKeepRunning", () => {
  const cases: [string, Parameters<typeof mayKeepRunning>, ReturnType<typeof mayKeepRunning>][] = [
    [
      "unknown task",
      [worker, undefined],
      { mayKeepRunning: false, reason: "Task not found", statusChangeRequested: false },
    ],
    [
      "non-lazy status request wins over everything else",
      [
        { ...worker, statusRequested: "asleep" },
        { workerId: 8, status: "canceled" },
      ],
      { mayKeepRunning: false, reason: "worker status change requested", statusChangeRequested: true },
    ],
    [
      "a lazy status request lets the task finish",
      [
        { ...worker, statusRequested: "asleep", lazyStatusRequest: true },
        { workerId: 7, status: "active" },
      ],
      { mayKeepRunning: true, reason: "", statusChangeRequested: false },
    ],
    [
      "task assigned to another worker",
      [worker, { workerId: 8, status: "active" }],
      { mayKeepRunning: false, reason: "task not assigned to this worker", statusChangeRequested: false },
    ],
    [
      "unassigned task",
      [worker, { workerId: null, status: "active" }],
      { mayKeepRunning: false, reason: "task not assigned to this worker", statusChangeRequested: false },
    ],
    [
      "paused task",
      [worker, { workerId: 7, status: "paused" }],
      {
        mayKeepRunning: false,
        reason: 'task is in non-runnable status "paused"',
        statusChangeRequested: false,
      },
    ],
    [
      "its active task",
      [worker, { workerId: 7, status: "active" }],
      { mayKeepRunning: true, reason: "", statusChangeRequested: false },
    ],
  ];
  for (const [name, args, expected] of cases)
    test(name, () => expect(mayKeepRunning(...args)).toEqual(expected));
});
