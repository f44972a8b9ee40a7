import { describe, expect, test } from "bun:test";
import {
  ACK_INVALID_JSON,
  ACK_INVALID_OP,
  ACK_INVALID_PAYLOAD,
  ACK_INVALID_UUID,
  ACK_JOB_NEEDS_UUID,
  ACK_TASK_NEEDS_UUID,
  ACK_UNKNOWN_EVENT,
  ACK_UNKNOWN_TYPE,
  interpretClientMessage,
  interpretSubscription,
} from "../../../../src/manager/events/forwarders/subscriptions";

const JOB = "5e7e9b2c-1111-4a55-9d3a-3f6a2b4c5d60";
const TASK = "a1b2c3d4-2222-4e5f-8a9b-0c1d2e3f4a5b";

describe("subscription rooms", () => {
  test.each([
    ["allJobs", ["/jobs"]],
    ["allWorkers", ["/workers"]],
    ["allLastRendered", ["/last-rendered"]],
    ["allWorkerTags", ["/workertags"]],
  ])("%s joins %p", (type, rooms) => {
    expect(interpretSubscription({ op: "subscribe", type })).toEqual({
      action: "join",
      rooms,
      event: "/subscription",
      ack: "ok",
    });
  });

  test("a job subscription covers its task updates and its last-rendered images", () => {
    expect(interpretSubscription({ op: "subscribe", type: "job", uuid: JOB })).toMatchObject({
      action: "join",
      rooms: [`/jobs/${JOB}`, `/jobs/${JOB}/last-rendered`],
    });
  });

  test("a tasklog subscription joins the task's log room (not the job room, unlike Flamenco)", () => {
    expect(interpretSubscription({ op: "subscribe", type: "tasklog", uuid: TASK })).toMatchObject({
      action: "join",
      rooms: [`/tasklog/${TASK}`],
    });
  });

  test("unsubscribe leaves the same rooms", () => {
    expect(interpretSubscription({ op: "unsubscribe", type: "job", uuid: JOB })).toMatchObject({
      action: "leave",
      rooms: [`/jobs/${JOB}`, `/jobs/${JOB}/last-rendered`],
      ack: "ok",
    });
  });

  test("upper-case UUIDs are accepted and mapped to the canonical lower-case room", () => {
    expect(
      interpretSubscription({ op: "subscribe", type: "tasklog", uuid: TASK.toUpperCase() }),
    ).toMatchObject({
      rooms: [`/tasklog/${TASK}`],
    });
  });
});

describe("subscription errors, in Flamenco's order", () => {
  test.each([
    ["a UUID of the wrong length", { op: "subscribe", type: "job", uuid: JOB.slice(1) }, ACK_INVALID_UUID],
    [
      "a UUID with non-hex digits",
      { op: "subscribe", type: "job", uuid: `x${JOB.slice(1)}` },
      ACK_INVALID_UUID,
    ],
    ["an empty UUID", { op: "subscribe", type: "job", uuid: "" }, ACK_INVALID_UUID],
    ["a non-string UUID", { op: "subscribe", type: "job", uuid: 42 }, ACK_INVALID_UUID],
    [
      "an invalid UUID before an unknown type",
      { op: "bogus", type: "bogus", uuid: "nope" },
      ACK_INVALID_UUID,
    ],
    ["a job without UUID", { op: "subscribe", type: "job" }, ACK_JOB_NEEDS_UUID],
    ["a tasklog with a null UUID", { op: "subscribe", type: "tasklog", uuid: null }, ACK_TASK_NEEDS_UUID],
    ["an unknown type before a bad op", { op: "bogus", type: "everything" }, ACK_UNKNOWN_TYPE],
    ["a bad op", { op: "join", type: "allJobs" }, ACK_INVALID_OP],
    ["a missing op", { type: "allJobs" }, ACK_INVALID_OP],
    ["a payload that is not an object", ["subscribe"], ACK_INVALID_PAYLOAD],
  ])("%s", (_, payload, ack) => {
    expect(interpretSubscription(payload)).toEqual({ action: "none", event: "/subscription", ack });
  });

  test("the exact strings Flamenco's clients know", () => {
    expect(ACK_INVALID_UUID).toBe("invalid UUID, ignoring request");
    expect(ACK_JOB_NEEDS_UUID).toBe("operation on job requires a UUID");
    expect(ACK_TASK_NEEDS_UUID).toBe("operation on task requires a UUID");
    expect(ACK_UNKNOWN_TYPE).toBe("unknown subscription type, ignoring request");
    expect(ACK_INVALID_OP).toBe(
      "unable to perform subscription operation: invalid subscription operation, ignoring request",
    );
  });
});

describe("client frames", () => {
  test("a subscription frame is interpreted", () => {
    const msg = JSON.stringify({ event: "/subscription", payload: { op: "subscribe", type: "allJobs" } });
    expect(interpretClientMessage(msg)).toMatchObject({ action: "join", rooms: ["/jobs"], ack: "ok" });
  });

  test.each(["{not json", "[]", "null", '"text"'])("%p is rejected as invalid JSON", (msg) => {
    expect(interpretClientMessage(msg)).toEqual({
      action: "none",
      event: "/subscription",
      ack: ACK_INVALID_JSON,
    });
  });

  test("another event name gets an error ack under that name", () => {
    expect(interpretClientMessage(JSON.stringify({ event: "/chat", payload: "hi" }))).toEqual({
      action: "none",
      event: "/chat",
      ack: ACK_UNKNOWN_EVENT,
    });
  });
});
