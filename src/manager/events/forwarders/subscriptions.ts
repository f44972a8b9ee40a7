// The WebSocket subscription protocol, without sockets: which rooms a client message asks to
// join or leave, and the ack strings Flamenco's web client knows. Rooms are topic strings.
import { topics } from "../payloads";

/** The client→server event name of subscription requests. */
export const SUBSCRIPTION_EVENT = "/subscription";

/** Every connection is in these rooms from the start, as with Flamenco. */
export const AUTO_JOINED_ROOMS: readonly string[] = [topics.lifecycle, topics.status];

export const ACK_OK = "ok";
export const ACK_INVALID_UUID = "invalid UUID, ignoring request";
export const ACK_JOB_NEEDS_UUID = "operation on job requires a UUID";
export const ACK_TASK_NEEDS_UUID = "operation on task requires a UUID";
export const ACK_UNKNOWN_TYPE = "unknown subscription type, ignoring request";
export const ACK_INVALID_OP =
  "unable to perform subscription operation: invalid subscription operation, ignoring request";
export const ACK_INVALID_JSON = "invalid message: expected a JSON object, ignoring request";
export const ACK_INVALID_PAYLOAD =
  "invalid subscription request: payload must be an object, ignoring request";
export const ACK_UNKNOWN_EVENT = "unknown event, ignoring request";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What to do with one client message; `ack` is always sent back under `event`. */
export type ClientRequest =
  | { action: "join" | "leave"; rooms: string[]; event: string; ack: string }
  | { action: "none"; event: string; ack: string };

const reject = (ack: string, event = SUBSCRIPTION_EVENT): ClientRequest => ({ action: "none", event, ack });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Maps a subscription payload (`{op, type, uuid?}`) to rooms, checking in Flamenco's order:
 * UUID validity, then type, then op. Unlike Flamenco, `tasklog` joins the task-log room, and
 * UUIDs are lower-cased so they match the canonical form the topics use.
 */
export function interpretSubscription(payload: unknown): ClientRequest {
  if (!isObject(payload)) return reject(ACK_INVALID_PAYLOAD);
  const { op, type } = payload;
  const rawUUID = payload.uuid;
  if (rawUUID !== undefined && rawUUID !== null && (typeof rawUUID !== "string" || !UUID_RE.test(rawUUID))) {
    return reject(ACK_INVALID_UUID);
  }
  const uuid = typeof rawUUID === "string" ? rawUUID.toLowerCase() : undefined;

  let rooms: string[];
  switch (type) {
    case "allJobs":
      rooms = [topics.jobs];
      break;
    case "allWorkers":
      rooms = [topics.workers];
      break;
    case "allLastRendered":
      rooms = [topics.lastRendered];
      break;
    case "allWorkerTags":
      rooms = [topics.workerTags];
      break;
    case "job":
      if (!uuid) return reject(ACK_JOB_NEEDS_UUID);
      rooms = [topics.job(uuid), topics.jobLastRendered(uuid)];
      break;
    case "tasklog":
      if (!uuid) return reject(ACK_TASK_NEEDS_UUID);
      rooms = [topics.taskLog(uuid)];
      break;
    default:
      return reject(ACK_UNKNOWN_TYPE);
  }

  if (op === "subscribe") return { action: "join", rooms, event: SUBSCRIPTION_EVENT, ack: ACK_OK };
  if (op === "unsubscribe") return { action: "leave", rooms, event: SUBSCRIPTION_EVENT, ack: ACK_OK };
  return reject(ACK_INVALID_OP);
}

/** Interprets one raw client frame `{"event": "/subscription", "payload": {...}}`. */
export function interpretClientMessage(message: string): ClientRequest {
  let frame: unknown;
  try {
    frame = JSON.parse(message);
  } catch {
    return reject(ACK_INVALID_JSON);
  }
  if (!isObject(frame)) return reject(ACK_INVALID_JSON);
  if (frame.event !== SUBSCRIPTION_EVENT) {
    return reject(ACK_UNKNOWN_EVENT, typeof frame.event === "string" ? frame.event : SUBSCRIPTION_EVENT);
  }
  return interpretSubscription(frame.payload);
}

/** The server's reply to a client message. */
export function ackFrame(event: string, ack: string): string {
  return JSON.stringify({ event, ack });
}
