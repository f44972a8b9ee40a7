// The autodiscovery service's decisions and the description route, through a Manager app.
import { afterEach, describe, expect, test } from "bun:test";
import type { NetworkInterfaceInfo } from "node:os";
import type { SsdpTransport } from "../../../src/manager/autodiscovery/advertiser";
import type { AutodiscoveryEdge } from "../../../src/manager/autodiscovery/service";
import type { LogLevel } from "../../../src/shared/log";
import { startTestManager, type TestManager } from "../../support/manager";

const LAN: NetworkInterfaceInfo = {
  address: "10.0.0.5",
  netmask: "255.255.0.0",
  family: "IPv4",
  mac: "00:00:00:00:00:00",
  internal: false,
  cidr: "10.0.0.5/16",
};

let running: TestManager | null = null;
afterEach(async () => {
  await running?.destroy();
  running = null;
});

async function managerWith(config: Record<string, unknown>) {
  const lines: [LogLevel, string][] = [];
  running = await startTestManager({ config, logger: (level, msg) => lines.push([level, msg]) });
  return { m: running, lines };
}

function edge(overrides: Partial<AutodiscoveryEdge> = {}) {
  const opened: { addresses: readonly string[]; closed: boolean }[] = [];
  const e: AutodiscoveryEdge = {
    listen: { hostname: "0.0.0.0", port: 8080 },
    interfaces: { eth0: [LAN] },
    async openSocket(addresses): Promise<SsdpTransport> {
      const socket = { addresses, closed: false };
      opened.push(socket);
      return {
        send: async () => {},
        close: async () => void (socket.closed = true),
      };
    },
    ...overrides,
  };
  return { e, opened };
}

describe("autodiscovery in the Manager", () => {
  test("advertises on the LAN's interface and serves the description while it does", async () => {
    const { m, lines } = await managerWith({ manager_name: "Studio <A&B>" });
    expect((await fetch(`${m.url}/upnp/description.xml`)).status).toBe(404);

    const { e, opened } = edge();
    await m.manager.autodiscovery.start(e);
    expect(opened.map((o) => o.addresses)).toEqual([["10.0.0.5"]]);
    expect(lines).toContainEqual(["info", "autodiscovery (UPnP/SSDP): advertising http://10.0.0.5:8080/"]);

    const res = await fetch(`${m.url}/upnp/description.xml`);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain("<friendlyName>Studio &lt;A&amp;B&gt; (tablao ");
    expect(xml).toContain("<presentationURL>/</presentationURL>");

    await m.manager.autodiscovery.stop();
    expect(opened[0]!.closed).toBe(true);
    expect((await fetch(`${m.url}/upnp/description.xml`)).status).toBe(404);
  });

  test("autodiscoverable: false opens no socket", async () => {
    const { m, lines } = await managerWith({ autodiscoverable: false });
    const { e, opened } = edge();
    await m.manager.autodiscovery.start(e);
    expect(opened).toEqual([]);
    expect(m.manager.autodiscovery.active()).toBe(false);
    expect(lines).toContainEqual(["info", "autodiscovery (UPnP/SSDP) is off: autodiscoverable is false"]);
  });

  test("a loopback listen address is not advertised, and the log says so", async () => {
    const { m, lines } = await managerWith({});
    const { e, opened } = edge({ listen: { hostname: "127.0.0.1", port: 8080 } });
    await m.manager.autodiscovery.start(e);
    expect(opened).toEqual([]);
    expect(lines.find(([level]) => level === "warn")?.[1]).toContain("listens on 127.0.0.1 only");
  });

  test("a socket that cannot open leaves the Manager running, naming the URL to give workers", async () => {
    const { m, lines } = await managerWith({});
    const { e } = edge({
      openSocket: async () => {
        throw new Error("EADDRINUSE");
      },
    });
    await m.manager.autodiscovery.start(e);
    expect(m.manager.autodiscovery.active()).toBe(false);
    const error = lines.find(([level]) => level === "error")?.[1] ?? "";
    expect(error).toContain("EADDRINUSE");
    expect(error).toContain("-manager http://10.0.0.5:8080/");
    expect((await fetch(`${m.url}/api/v3/version`)).status).toBe(200);
  });
});
