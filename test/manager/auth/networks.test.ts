// Network trust without a server: which role an address gets, and which address a request
// comes from behind trusted proxies (src/manager/auth/networks.ts).
import { describe, expect, test } from "bun:test";
import { createNetworkTrust, type NetworkSettings } from "../../../src/manager/auth/networks";
import type { Role } from "../../../src/manager/auth/roles";
import { DEFAULT_TRUSTED_NETWORKS } from "../../../src/manager/config";

const defaults: NetworkSettings = {
  trustedNetworks: Object.entries(DEFAULT_TRUSTED_NETWORKS).map(([network, role]) => ({ network, role })),
  trustedProxies: [],
};

describe("networkRole", () => {
  const trust = createNetworkTrust(() => defaults);

  test("the defaults: the machine itself is admin, private networks operator, the rest nothing", () => {
    const cases: [string, Role | null][] = [
      ["127.0.0.1", "admin"],
      ["127.8.9.10", "admin"],
      ["::1", "admin"],
      ["::ffff:127.0.0.1", "admin"],
      ["10.20.30.40", "operator"],
      ["172.16.0.1", "operator"],
      ["172.31.255.255", "operator"],
      ["192.168.1.5", "operator"],
      ["::ffff:192.168.1.5", "operator"],
      ["169.254.10.1", "operator"],
      ["fd12:3456::1", "operator"],
      ["fe80::1%eth0", "operator"],
      ["172.32.0.1", null],
      ["8.8.8.8", null],
      ["2001:db8::1", null],
      ["::ffff:8.8.8.8", null],
      ["", null],
      ["not an address", null],
    ];
    for (const [address, role] of cases)
      expect({ address, role: trust.networkRole(address) }).toEqual({ address, role });
  });

  test("the most specific network wins, whatever the order they are written in", () => {
    const settings: NetworkSettings = {
      trustedNetworks: [
        { network: "10.1.2.0/24", role: "admin" },
        { network: "10.0.0.0/8", role: "viewer" },
        { network: "10.1.0.0/16", role: "submitter" },
      ],
      trustedProxies: [],
    };
    const trust = createNetworkTrust(() => settings);
    expect(trust.networkRole("10.9.9.9")).toBe("viewer");
    expect(trust.networkRole("10.1.9.9")).toBe("submitter");
    expect(trust.networkRole("10.1.2.9")).toBe("admin");
  });

  test("a changed configuration applies at once; an empty list trusts nobody", () => {
    let settings = defaults;
    const trust = createNetworkTrust(() => settings);
    expect(trust.networkRole("127.0.0.1")).toBe("admin");
    settings = { trustedNetworks: [], trustedProxies: [] };
    expect(trust.networkRole("127.0.0.1")).toBeNull();
  });
});

describe("clientOrigin", () => {
  const trust = createNetworkTrust(() => ({
    trustedNetworks: [],
    trustedProxies: ["10.0.0.1/32", "fd00::/8"],
  }));

  test("a peer that is not a trusted proxy is the client, whatever it forwards", () => {
    expect(trust.clientOrigin("::ffff:192.0.2.1", "10.0.0.9")).toEqual({
      address: "192.0.2.1",
      viaTrustedProxy: false,
    });
    expect(trust.clientOrigin("", "10.0.0.9")).toEqual({ address: "", viaTrustedProxy: false });
  });

  test("behind trusted proxies, the right-most address that is not one of them", () => {
    expect(trust.clientOrigin("10.0.0.1", "198.51.100.1, 192.0.2.7")).toEqual({
      address: "192.0.2.7",
      viaTrustedProxy: true,
    });
    expect(trust.clientOrigin("::ffff:10.0.0.1", "192.0.2.7, fd00::2, 10.0.0.1")).toEqual({
      address: "192.0.2.7",
      viaTrustedProxy: true,
    });
    // Only proxies: the left-most is as far back as anyone can tell.
    expect(trust.clientOrigin("10.0.0.1", "fd00::3, 10.0.0.1")).toEqual({
      address: "fd00::3",
      viaTrustedProxy: true,
    });
    // A request the proxy machine made itself, not forwarded.
    expect(trust.clientOrigin("10.0.0.1", null)).toEqual({ address: "10.0.0.1", viaTrustedProxy: false });
  });

  test("garbage where an address should be is nobody's address", () => {
    expect(trust.clientOrigin("10.0.0.1", "192.0.2.7, junk")).toEqual({ address: "", viaTrustedProxy: true });
    expect(trust.clientOrigin("10.0.0.1", " , ")).toEqual({ address: "", viaTrustedProxy: true });
  });
});
