// The dashboard's live connection: one native WebSocket to the Manager's /ws, reconnected
// with back-off, re-sending every active subscription and telling views to refetch. An attempt
// that never opens is reported, since it may be the Manager refusing the session.
import { createStore, type Store } from "./store";
import type { EventName, EventPayloads, SubscriptionType } from "./types";

export const RECONNECT_MIN_DELAY_MS = 250;
export const RECONNECT_MAX_DELAY_MS = 3000;
export const CONNECT_TIMEOUT_MS = 1000;

export type ConnectionState = "connecting" | "open" | "closed";

/** Delay before reconnect attempt `attempt` (0-based): doubling from 250 ms, capped at 3 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS * 2 ** Math.min(attempt, 16));
}

export interface LiveConnection {
  readonly state: Store<ConnectionState>;
  /** How many times the connection has been (re)established. */
  readonly connects: Store<number>;
  start(): void;
  stop(): void;
  on<E extends EventName>(event: E, handler: (payload: EventPayloads[E]) => void): () => void;
  /** Reference-counted: the server is told to unsubscribe when the last holder lets go. */
  subscribe(type: SubscriptionType, uuid?: string): () => void;
}

interface LiveOptions {
  url: string;
  log?: (msg: string) => void;
  /**
   * Called when an attempt closes without opening. A browser cannot tell a refused upgrade
   * (401/403) from a network error, so the caller asks the Manager who it is; the retries go
   * on with back-off meanwhile.
   */
  onRefused?: () => void;
}

export function createLiveConnection({
  url,
  log = () => {},
  onRefused = () => {},
}: LiveOptions): LiveConnection {
  const state = createStore<ConnectionState>("closed");
  const connects = createStore(0);
  const handlers = new Map<string, Set<(payload: unknown) => void>>();
  const subscriptions = new Map<string, { type: SubscriptionType; uuid?: string; holders: number }>();
  let socket: WebSocket | null = null;
  let attempt = 0;
  let stopped = true;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;

  const sendSubscription = (op: "subscribe" | "unsubscribe", type: SubscriptionType, uuid?: string) => {
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(
      JSON.stringify({ event: "/subscription", payload: uuid ? { op, type, uuid } : { op, type } }),
    );
  };

  const dispatch = (raw: string) => {
    let frame: unknown;
    try {
      frame = JSON.parse(raw);
    } catch {
      log(`ignoring a malformed frame: ${raw.slice(0, 100)}`);
      return;
    }
    // Anything but an event with a payload is ignored (subscription acks carry no payload).
    if (typeof frame !== "object" || frame === null || !("event" in frame) || !("payload" in frame)) return;
    const { event, payload } = frame;
    if (typeof event !== "string" || !event || payload === undefined) return;
    for (const h of handlers.get(event) ?? []) h(payload);
  };

  const scheduleReconnect = () => {
    if (stopped) return;
    const delay = reconnectDelayMs(attempt++);
    retryTimer = setTimeout(connect, delay);
  };

  function connect() {
    state.set("connecting");
    const ws = new WebSocket(url);
    socket = ws;
    let opened = false;
    connectTimer = setTimeout(() => {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(connectTimer);
      opened = true;
      attempt = 0;
      state.set("open");
      for (const s of subscriptions.values()) sendSubscription("subscribe", s.type, s.uuid);
      connects.update((n) => n + 1);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") dispatch(ev.data);
    };
    ws.onclose = () => {
      clearTimeout(connectTimer);
      if (socket !== ws) return;
      socket = null;
      state.set("closed");
      scheduleReconnect();
      if (!opened) onRefused();
    };
  }

  return {
    state,
    connects,
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(connectTimer);
      const ws = socket;
      socket = null;
      ws?.close();
      state.set("closed");
    },
    on(event, handler) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      const h = handler as (payload: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
    subscribe(type, uuid) {
      const key = `${type}:${uuid ?? ""}`;
      const existing = subscriptions.get(key);
      if (existing) existing.holders++;
      else {
        subscriptions.set(key, { type, uuid, holders: 1 });
        sendSubscription("subscribe", type, uuid);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const s = subscriptions.get(key);
        if (!s || --s.holders > 0) return;
        subscriptions.delete(key);
        sendSubscription("unsubscribe", type, uuid);
      };
    },
  };
}
