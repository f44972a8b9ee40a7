import { describe, expect, test } from "bun:test";
import type { NetworkInterfaceInfo } from "node:os";
import {
  advertisedUrls,
  inNetwork,
  type InterfaceTable,
} from "../../../src/manager/autodiscovery/advertised-urls";

function v4(address: string, bits: number, internal = false): NetworkInterfaceInfo {
  return {
    address,
    netmask: "",
    family: "IPv4",
    mac: "00:00:00:00:00:00",
    internal,
    cidr: `${address}/${bits}`,
  };
}
const v6: NetworkInterfaceInfo = {
  address: "fd00::5",
  netmask: "",
  family: "IPv6",
  mac: "00:00:00:00:00:00",
  internal: false,
  cidr: "fd00::5/64",
  scopeid: 0,
};
const interfaces: InterfaceTable = {
  lo: [v4("127.0.0.1", 8, true)],
  eth1: [v4("192.168.1.20", 24), v6],
  eth0: [v4("10.0.0.5", 16)],
  usb0: [v4("169.254.3.4", 16)],
};

describe("advertised URLs", () => {
  test("a wildcard listen gives one URL per routable IPv4 address, sorted, with its network", () => {
    expect(advertisedUrls({ hostname: "0.0.0.0", port: 8080 }, interfaces)).toEqual({
      urls: [
        { url: "http://10.0.0.5:8080/", interfaceAddress: "10.0.0.5", network: "10.0.0.5/16" },
        { url: "http://192.168.1.20:8080/", interfaceAddress: "192.168.1.20", network: "192.168.1.20/24" },
      ],
    });
  });

  test("link-local addresses only when there is nothing else", () => {
    const only = { lo: interfaces.lo, usb0: interfaces.usb0 };
    expect(advertisedUrls({ hostname: "0.0.0.0", port: 1 }, only).urls.map((u) => u.url)).toEqual([
      "http://169.254.3.4:1/",
    ]);
  });

  test.each(["127.0.0.1", "localhost", "::1"])("listening on %s advertises nothing, and says why", (host) => {
    const choice = advertisedUrls({ hostname: host, port: 8080 }, interfaces);
    expect(choice.urls).toEqual([]);
    expect("reason" in choice && choice.reason).toContain("no other machine can reach");
  });

  test("a machine with loopback only advertises nothing", () => {
    const choice = advertisedUrls({ hostname: "0.0.0.0", port: 8080 }, { lo: interfaces.lo });
    expect("reason" in choice && choice.reason).toContain("besides loopback");
  });

  test("a specific address gives that one URL on its interface", () => {
    expect(advertisedUrls({ hostname: "192.168.1.20", port: 9 }, interfaces).urls).toEqual([
      { url: "http://192.168.1.20:9/", interfaceAddress: "192.168.1.20", network: "192.168.1.20/24" },
    ]);
  });

  test("a host name is advertised as it is, on every interface", () => {
    const urls = advertisedUrls({ hostname: "farm.studio.lan", port: 9 }, interfaces).urls;
    expect(urls.map((u) => [u.url, u.interfaceAddress])).toEqual([
      ["http://farm.studio.lan:9/", "10.0.0.5"],
      ["http://farm.studio.lan:9/", "169.254.3.4"],
      ["http://farm.studio.lan:9/", "192.168.1.20"],
    ]);
  });

  test("an address no interface carries advertises nothing", () => {
    expect(advertisedUrls({ hostname: "10.9.9.9", port: 9 }, interfaces).urls).toEqual([]);
  });

  test("inNetwork", () => {
    expect(inNetwork("10.0.200.1", "10.0.0.5/16")).toBe(true);
    expect(inNetwork("10.1.0.1", "10.0.0.5/16")).toBe(false);
    expect(inNetwork("::ffff:10.0.0.9", "10.0.0.5/16")).toBe(true);
    expect(inNetwork("not an address", "10.0.0.5/16")).toBe(false);
  });
});
