// Which URLs of this Manager autodiscovery hands out, and on which network interface each one
// is announced: from the listen address and the machine's interface addresses. Only URLs a
// worker on another machine can reach are advertised (see docs/autodiscovery.md).
import ipaddr from "ipaddr.js";
import type { NetworkInterfaceInfo } from "node:os";

/** One advertised base URL and the IPv4 interface it belongs to. */
export interface AdvertisedUrl {
  /** The Manager's base URL, ending in `/` (e.g. `http://10.0.0.5:8080/`). */
  url: string;
  /** The interface's IPv4 address: NOTIFYs for this URL leave through it. */
  interfaceAddress: string;
  /** The interface's network, `address/bits`: searches from it are answered with this URL first. */
  network: string;
}

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

export type UrlChoice = { urls: AdvertisedUrl[] } | { urls: []; reason: string };

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", ""]);

function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (!ipaddr.isValid(host)) return false;
  return ipaddr.process(host).range() === "loopback";
}

function ipv4Interfaces(interfaces: InterfaceTable): NetworkInterfaceInfo[] {
  return Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === "IPv4" && !i.internal);
}

function byAddress(a: NetworkInterfaceInfo, b: NetworkInterfaceInfo): number {
  const [x, y] = [ipaddr.parse(a.address).toByteArray(), ipaddr.parse(b.address).toByteArray()];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/**
 * The URLs to advertise for a Manager listening on `listen` (with its real port). Loopback URLs
 * are never advertised: a worker elsewhere would try its own machine. A specific host gives
 * that one URL (on the interface holding the address, else on every interface, for a host
 * name); a wildcard gives one URL per IPv4 interface address, link-local addresses only when
 * there is nothing else. IPv4 only, like the multicast group the advertisements go to.
 */
export function advertisedUrls(
  listen: { hostname: string; port: number },
  interfaces: InterfaceTable,
): UrlChoice {
  const host = listen.hostname;
  if (isLoopbackHost(host)) {
    return {
      urls: [],
      reason: `the Manager listens on ${host} only, which no other machine can reach`,
    };
  }
  const candidates = ipv4Interfaces(interfaces).sort(byAddress);
  const toUrl = (i: NetworkInterfaceInfo, urlHost: string): AdvertisedUrl => ({
    url: `http://${urlHost}:${listen.port}/`,
    interfaceAddress: i.address,
    network: i.cidr ?? `${i.address}/32`,
  });

  if (!WILDCARD_HOSTS.has(host)) {
    const own = candidates.filter((i) => i.address === host);
    const on = own.length > 0 || ipaddr.isValid(host) ? own : candidates;
    const urlHost = host.includes(":") ? `[${host}]` : host;
    if (on.length === 0) {
      return { urls: [], reason: `no IPv4 network interface carries ${host}` };
    }
    return { urls: on.map((i) => toUrl(i, urlHost)) };
  }

  const routable = candidates.filter((i) => ipaddr.parse(i.address).range() !== "linkLocal");
  const chosen = routable.length > 0 ? routable : candidates;
  if (chosen.length === 0) {
    return { urls: [], reason: "this machine has no IPv4 network interface besides loopback" };
  }
  return { urls: chosen.map((i) => toUrl(i, i.address)) };
}

/** Whether `address` lies in `network` (`address/bits`); false for anything unparsable. */
export function inNetwork(address: string, network: string): boolean {
  try {
    const a = ipaddr.process(address);
    const [net, bits] = ipaddr.parseCIDR(network);
    return a.kind() === net.kind() && a.match(net, bits);
  } catch {
    return false;
  }
}
