// Network trust: which address a request comes from (the TCP peer, or what a trusted reverse
// proxy says in X-Forwarded-For) and which role, if any, that address gets from
// `auth.trusted_networks`. See docs/security.md.
import ipaddr from "ipaddr.js";
import type { Role } from "./roles";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

export interface NetworkSettings {
  trustedNetworks: readonly { network: string; role: Role }[];
  trustedProxies: readonly string[];
}

/** An address as the rules compare it: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes IPv4. */
function parseAddress(text: string): Address | null {
  try {
    return ipaddr.process(text.trim());
  } catch {
    return null;
  }
}

function inRange(address: Address, [network, bits]: Cidr): boolean {
  return address.kind() === network.kind() && address.match(network, bits);
}

/** The configuration's networks, parsed; the configuration module already checked every CIDR. */
function compile(settings: NetworkSettings) {
  return {
    networks: settings.trustedNetworks
      .map(({ network, role }) => ({ cidr: ipaddr.parseCIDR(network), role }))
      // Most specific first, so the first match is the one that wins.
      .sort((a, b) => b.cidr[1] - a.cidr[1]),
    proxies: settings.trustedProxies.map((p) => ipaddr.parseCIDR(p)),
  };
}

export interface ClientOrigin {
  /** The client's address in canonical form (IPv4 for mapped addresses); "" when unknown. */
  address: string;
  /** The request reached the Manager through a trusted proxy. */
  viaTrustedProxy: boolean;
}

export interface NetworkTrust {
  /**
   * The client behind `peer`: the peer itself, unless the peer is a trusted proxy; then the
   * right-most X-Forwarded-For entry that is not a trusted proxy (proxies append the address
   * they saw, so entries left of the last untrusted one may be forged by the client).
   */
  clientOrigin(peer: string, forwardedFor: string | null): ClientOrigin;
  /** The role `auth.trusted_networks` grants an address: the most specific network wins. */
  networkRole(address: string): Role | null;
}

/** Reads the settings on every use, so a saved configuration applies at once. */
export function createNetworkTrust(settings: () => NetworkSettings): NetworkTrust {
  let compiledFrom: NetworkSettings | null = null;
  let compiled = compile({ trustedNetworks: [], trustedProxies: [] });
  const rules = () => {
    const current = settings();
    if (current !== compiledFrom) {
      compiled = compile(current);
      compiledFrom = current;
    }
    return compiled;
  };

  const isTrustedProxy = (address: Address | null) =>
    address !== null && rules().proxies.some((cidr) => inRange(address, cidr));

  return {
    clientOrigin(peer, forwardedFor) {
      const peerAddress = parseAddress(peer);
      const canonical = peerAddress?.toString() ?? "";
      if (!forwardedFor || !isTrustedProxy(peerAddress))
        return { address: canonical, viaTrustedProxy: false };
      const hops = forwardedFor
        .split(",")
        .map((hop) => hop.trim())
        .filter((hop) => hop !== "");
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = parseAddress(hops[i] ?? "");
        // Garbage in the header is the client's word, never an address to trust.
        if (!hop) return { address: "", viaTrustedProxy: true };
        if (i === 0 || !isTrustedProxy(hop)) return { address: hop.toString(), viaTrustedProxy: true };
      }
      return { address: "", viaTrustedProxy: true };
    },

    networkRole(address) {
      const parsed = parseAddress(address);
      if (!parsed) return null;
      return rules().networks.find(({ cidr }) => inRange(parsed, cidr))?.role ?? null;
    },
  };
}
