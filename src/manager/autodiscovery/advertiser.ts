// The SSDP advertiser: announces the Manager's URLs to the multicast group (NOTIFY ssdp:alive at
// start, repeated, then periodically; ssdp:byebye at stop) and answers the searches (M-SEARCH)
// of workers on its networks. Speaks through an SsdpTransport, so it holds no socket itself.
import type { Clock } from "../../shared/clock";
import {
  DESCRIPTION_PATH,
  FLAMENCO_DEVICE_UUID,
  FLAMENCO_SERVICE_TYPE,
  FLAMENCO_USN,
  formatSsdpMessage,
  parseSsdpMessage,
  SSDP_MULTICAST_ADDRESS,
  SSDP_PORT,
} from "../../shared/ssdp";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../../shared/version";
import { inNetwork, type AdvertisedUrl } from "./advertised-urls";

/** How long an announcement or answer stays valid (Flamenco's value). */
const SSDP_MAX_AGE_S = 3600;
/** Announced again well before the max-age runs out: at half of it, as UPnP recommends. */
export const NOTIFY_INTERVAL_MS = (SSDP_MAX_AGE_S * 1000) / 2;
/** UDP datagrams get lost: the first announcement is sent again this long after start. */
const NOTIFY_REPEAT_DELAYS_MS: readonly number[] = [1_000, 3_000];
/**
 * Answers to one search go out after a random delay up to the searcher's MX, so that many
 * devices do not answer at once; capped, because a worker waits for this answer to start.
 */
export const SEARCH_REPLY_MAX_DELAY_MS = 1_000;
/** Searches waiting for their delayed answer; further ones are dropped until these went out. */
export const MAX_PENDING_SEARCHES = 32;

const SERVER_HEADER = `${process.platform}/0 UPnP/1.0 ${PRODUCT_NAME}/${PRODUCT_VERSION}`;

const SEARCH_TARGETS = new Set([
  "ssdp:all",
  FLAMENCO_SERVICE_TYPE,
  `uuid:${FLAMENCO_DEVICE_UUID}`,
  // Flamenco's library matches the bare UUID as well.
  FLAMENCO_DEVICE_UUID,
]);

export interface Peer {
  address: string;
  port: number;
}

/** A UDP socket bound to the SSDP port and joined to the multicast group. */
export interface SsdpTransport {
  /** Sends one datagram; `via` is the address of the interface a multicast leaves through. */
  send(text: string, to: Peer, via?: string): Promise<void>;
  close(): Promise<void>;
}

export interface AdvertiserDeps {
  urls: readonly AdvertisedUrl[];
  clock: Clock;
  log: (level: "debug" | "warn", msg: string) => void;
  /** [0, 1), for the answer delay; Math.random unless a test fixes it. */
  random?: () => number;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

export function createAdvertiser(deps: AdvertiserDeps) {
  const { urls, clock, log } = deps;
  const random = deps.random ?? Math.random;
  const group: Peer = { address: SSDP_MULTICAST_ADDRESS, port: SSDP_PORT };
  let transport: SsdpTransport | null = null;
  const timers = new Set<unknown>();
  let pending = 0;

  const location = (u: AdvertisedUrl) => new URL(DESCRIPTION_PATH, u.url).href;

  async function send(text: string, to: Peer, via?: string): Promise<void> {
    if (!transport) return;
    try {
      await transport.send(text, to, via);
    } catch (err) {
      log("warn", `autodiscovery: cannot send to ${to.address}:${to.port}: ${(err as Error).message}`);
    }
  }

  function notify(alive: boolean): Promise<void[]> {
    return Promise.all(
      urls.map((u) => {
        const headers: [string, string][] = [
          ["HOST", `${SSDP_MULTICAST_ADDRESS}:${SSDP_PORT}`],
          ["NT", FLAMENCO_SERVICE_TYPE],
          ["NTS", alive ? "ssdp:alive" : "ssdp:byebye"],
          ["USN", FLAMENCO_USN],
        ];
        if (alive) {
          headers.push(
            ["LOCATION", location(u)],
            ["CACHE-CONTROL", `max-age=${SSDP_MAX_AGE_S}`],
            ["SERVER", SERVER_HEADER],
          );
        }
        return send(formatSsdpMessage("NOTIFY * HTTP/1.1", headers), group, u.interfaceAddress);
      }),
    );
  }

  function searchResponse(u: AdvertisedUrl): string {
    return formatSsdpMessage("HTTP/1.1 200 OK", [
      ["ST", FLAMENCO_SERVICE_TYPE],
      ["USN", FLAMENCO_USN],
      ["LOCATION", location(u)],
      ["CACHE-CONTROL", `max-age=${SSDP_MAX_AGE_S}`],
      ["DATE", clock.now().toUTCString()],
      ["SERVER", SERVER_HEADER],
      ["EXT", ""],
    ]);
  }

  /** Searchers on our networks (or this machine) only: SSDP is meant for the local link. */
  function mayAnswer(peer: string): boolean {
    return (
      inNetwork(peer, "127.0.0.0/8") ||
      urls.some((u) => u.interfaceAddress === peer || inNetwork(peer, u.network))
    );
  }

  function later(fn: () => void, ms: number): void {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      fn();
    }, ms);
    timers.add(handle);
  }

  return {
    /** Starts announcing through `t`; feed it what arrives with `receive`. */
    start(t: SsdpTransport): void {
      transport = t;
      void notify(true);
      for (const delay of NOTIFY_REPEAT_DELAYS_MS) later(() => void notify(true), delay);
      const every = clock.setInterval(() => void notify(true), NOTIFY_INTERVAL_MS);
      timers.add(every);
    },

    /** One datagram from `from`: a search for us gets its answers after a short random delay. */
    receive(text: string, from: Peer): void {
      const msg = parseSsdpMessage(text);
      if (msg?.kind !== "request" || msg.method !== "M-SEARCH" || msg.target !== "*") return;
      if (unquote(msg.headers.get("MAN") ?? "") !== "ssdp:discover") return;
      const target = unquote(msg.headers.get("ST") ?? "");
      if (!SEARCH_TARGETS.has(target)) return;
      if (!mayAnswer(from.address)) {
        log("debug", `autodiscovery: ignoring a search from ${from.address}, not on this Manager's networks`);
        return;
      }
      if (pending >= MAX_PENDING_SEARCHES) {
        log("debug", `autodiscovery: ignoring a search from ${from.address}, too many waiting`);
        return;
      }
      const mx = Number(msg.headers.get("MX"));
      const maxDelay = Number.isFinite(mx) && mx > 0 ? Math.min(mx * 1000, SEARCH_REPLY_MAX_DELAY_MS) : 0;
      // The URL on the searcher's own network first: a worker takes the first one that answers.
      const ordered = [...urls].sort(
        (a, b) => Number(inNetwork(from.address, b.network)) - Number(inNetwork(from.address, a.network)),
      );
      pending++;
      later(() => {
        pending--;
        void (async () => {
          for (const u of ordered) await send(searchResponse(u), from);
        })();
      }, random() * maxDelay);
    },

    /** Says goodbye to the group and stops every timer; the caller closes the transport. */
    async stop(): Promise<void> {
      for (const handle of timers) {
        clock.clearTimeout(handle);
        clock.clearInterval(handle);
      }
      timers.clear();
      pending = 0;
      if (transport) await notify(false);
      transport = null;
    },
  };
}

export type Advertiser = ReturnType<typeof createAdvertiser>;
