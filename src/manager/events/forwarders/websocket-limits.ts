// Every bound of the WebSocket forwarder, in one place: how many clients, how far behind each may
// fall and all of them together, how big their messages, how many rooms. docs/events.md lists them
// for clients; the forwarder's options override them in tests.

const KiB = 1024;
const MiB = 1024 * KiB;

export const WS_MAX_CONNECTIONS = 1000;
/** So that one host (a runaway script, a browser with many tabs) cannot take every slot. */
export const WS_MAX_CONNECTIONS_PER_ADDRESS = 32;

/**
 * Bytes of events one client may leave unread in the Manager (beyond what the kernel holds)
 * before it is closed with 1008. A dashboard that reads is never near it.
 */
export const WS_CLIENT_SEND_BUFFER_BYTES = 1 * MiB;
/**
 * Unread bytes of all clients together; past it the clients furthest behind are closed first.
 * Counted per client, though clients behind on the same events share their frames' memory.
 */
export const WS_SEND_BUDGET_BYTES = 64 * MiB;

/** Clients only send small subscription requests; Bun closes with 1009 past it. */
export const WS_MAX_CLIENT_MESSAGE_BYTES = 16 * KiB;
/** The dashboard needs about ten (the `all*` types, one job, one task log). */
export const WS_MAX_ROOMS_PER_CONNECTION = 64;

export const WS_PING_INTERVAL_MS = 25_000;
/**
 * At most one flush per interval: an idle server sends at once, a busy one writes each client
 * its frames together instead of one write per event, which is what costs on a busy farm.
 */
export const WS_FLUSH_INTERVAL_MS = 10;
/**
 * Sockets closed per event-loop turn when many must go at once (shutdown, the budget, dead
 * peers), so HTTP requests are served between the batches.
 */
export const WS_CLOSE_BATCH_SIZE = 50;
