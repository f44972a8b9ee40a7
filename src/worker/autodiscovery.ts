// Finding the Manager by UPnP/SSDP when no URL is configured (no -manager, empty manager_url),
// the way Flamenco's worker does: multicast a search every second, collect the LOCATIONs of the
// Managers that answer, and use the first of them, in the order they arrived, whose
// GET /api/v3/version answers. See docs/autodiscovery.md.
import { createSocket } from "node:dgram";
import { networkInterfaces } from "node:os";
import type { Logger } from "../shared/log";
import {
  deviceIdOfUsn,
  FLAMENCO_DEVICE_UUID,
  FLAMENCO_SERVICE_TYPE,
  parseSsdpMessage,
  searchRequest,
  SSDP_MAX_DATAGRAM_BYTES,
  SSDP_MULTICAST_ADDRESS,
  SSDP_PORT,
} from "../shared/ssdp";
import { createManagerClient } from "./client";
import { sleepUnlessAborted } from "./wait";

/** A search goes out at once and then this often until a Manager answers (Flamenco's pace). */
export const SEARCH_INTERVAL_MS = 1_000;
/** How long the worker looks for a Manager at start-up before it gives up (exit code 1). */
export const DISCOVERY_TIMEOUT_MS = 10 * 60_000;
/** The limit of `-find-manager`. */
export const FIND_MANAGER_TIMEOUT_MS = 60_000;
/** A candidate URL that does not answer its version within this is not the one to use. */
export const CANDIDATE_PROBE_TIMEOUT_MS = 3_000;
/** Distinct URLs kept from answers: anyone on the network can answer, and each is probed. */
export const MAX_CANDIDATES = 16;

export class DiscoveryError extends Error {}

/** The worker's side of the conversation: a UDP socket on a random port. */
export interface SearchSocket {
  /** Multicasts `text` to the SSDP group, through the interface with address `via` when given. */
  send(text: string, via?: string): Promise<void>;
  close(): Promise<void>;
}

export type OpenSearchSocket = (onMessage: (text: string) => void) => Promise<SearchSocket>;

export type ProbeResult = { ok: true; name: string; version: string } | { ok: false; why: string };

export interface DiscoveryDeps {
  openSocket: OpenSearchSocket;
  /** IPv4 addresses of the interfaces to search through; none: wherever the system routes it. */
  interfaceAddresses: () => string[];
  /** Asks a candidate base URL for its version. */
  probe: (baseUrl: string) => Promise<ProbeResult>;
  log: Logger;
  timeoutMs: number;
  searchIntervalMs?: number;
  signal?: AbortSignal;
}

/** The Manager's base URL from an answer to our search, or null when the answer is not one. */
export function candidateFromAnswer(text: string): string | null {
  const msg = parseSsdpMessage(text);
  if (msg?.kind !== "response" || msg.status !== 200) return null;
  if (deviceIdOfUsn(msg.headers.get("USN") ?? "") !== FLAMENCO_DEVICE_UUID) return null;
  try {
    const location = new URL(msg.headers.get("LOCATION") ?? "");
    if (location.protocol !== "http:" && location.protocol !== "https:") return null;
    // The API lives at the root of the description's host, as Flamenco's worker assumes.
    return new URL("/", location).href;
  } catch {
    return null;
  }
}

/** Searches until a Manager answers both the search and its version; throws DiscoveryError. */
export async function discoverManager(deps: DiscoveryDeps): Promise<string> {
  const { log } = deps;
  const interval = deps.searchIntervalMs ?? SEARCH_INTERVAL_MS;
  const candidates: string[] = [];
  const socket = await deps.openSocket((text) => {
    const url = candidateFromAnswer(text);
    if (url && !candidates.includes(url) && candidates.length < MAX_CANDIDATES) {
      log("debug", `autodiscovery: ${url} answered`);
      candidates.push(url);
    }
  });
  const deadline = Date.now() + deps.timeoutMs;
  log("info", `looking for a Manager by UPnP/SSDP (for up to ${Math.round(deps.timeoutMs / 1000)} s)`);
  let reported = "";
  try {
    for (;;) {
      const search = searchRequest(FLAMENCO_SERVICE_TYPE);
      const via = deps.interfaceAddresses();
      for (const address of via.length > 0 ? via : [undefined]) {
        await socket.send(search, address).catch((err: Error) => {
          log("debug", `autodiscovery: cannot search via ${address ?? "the default route"}: ${err.message}`);
        });
      }
      const waited = await sleepUnlessAborted(
        Math.min(interval, Math.max(0, deadline - Date.now())),
        deps.signal,
      );
      if (!waited && deps.signal?.aborted) throw new DiscoveryError("stopped while looking for a Manager");

      if (candidates.length > 0) {
        const tried = [...candidates];
        const results = await Promise.all(tried.map((url) => deps.probe(url)));
        const usable = results.findIndex((r) => r.ok);
        if (usable >= 0) {
          const found = results[usable] as Extract<ProbeResult, { ok: true }>;
          const others = tried.length > 1 ? ` (of ${tried.join(", ")})` : "";
          log("info", `found Manager "${found.name}" (${found.version}) at ${tried[usable]}${others}`);
          return tried[usable]!;
        }
        const summary = tried.map((url, i) => `${url}: ${(results[i] as { why: string }).why}`).join("; ");
        // Said once per set of candidates; the search goes on, a Manager may still be starting.
        if (summary !== reported) log("warn", `autodiscovery: no usable Manager yet (${summary})`);
        reported = summary;
      }
      if (Date.now() >= deadline) {
        throw new DiscoveryError(
          `no Manager found by UPnP/SSDP within ${Math.round(deps.timeoutMs / 1000)} s` +
            (candidates.length > 0 ? `; none of ${candidates.join(", ")} answered` : "") +
            `. Check that the Manager has autodiscoverable on and that the network passes multicast` +
            ` (UDP port ${SSDP_PORT}), or give its URL with -manager or manager_url`,
        );
      }
    }
  } finally {
    await socket.close();
  }
}

/** A UDP socket on a random port: it only sees answers sent to it, not others' announcements. */
export const openSearchSocket: OpenSearchSocket = async (onMessage) => {
  const socket = createSocket({ type: "udp4" });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("message", (data) => {
    if (data.length <= SSDP_MAX_DATAGRAM_BYTES) onMessage(data.toString("utf8"));
  });
  return {
    send: (text, via) =>
      new Promise<void>((resolve, reject) => {
        if (via) socket.setMulticastInterface(via);
        socket.send(text, SSDP_PORT, SSDP_MULTICAST_ADDRESS, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
};

/** This machine's non-loopback IPv4 addresses: a search goes out through each of their interfaces. */
export function searchInterfaces(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === "IPv4" && !i.internal)
    .map((i) => i.address);
}

/** GET /api/v3/version without credentials, through the generated client. */
export async function probeManager(baseUrl: string): Promise<ProbeResult> {
  const api = createManagerClient({
    baseUrl,
    credentials: () => null,
    timeoutMs: CANDIDATE_PROBE_TIMEOUT_MS,
  });
  try {
    const { data, response } = await api.GET("/api/v3/version");
    if (!data) return { ok: false, why: `answered ${response.status}` };
    return { ok: true, name: data.name, version: data.version };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}
