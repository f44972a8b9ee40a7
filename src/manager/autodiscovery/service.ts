// Autodiscovery's life cycle within the Manager: whether it runs (the `autodiscoverable` key,
// URLs that others can reach, a UDP socket that opens), the log lines saying so, and the
// advertiser while it runs. The server's entry point starts it once the HTTP server listens,
// handing over the socket factory and the interface table; see docs/autodiscovery.md.
import type { Clock } from "../../shared/clock";
import type { Logger } from "../../shared/log";
import { SSDP_PORT } from "../../shared/ssdp";
import { createAdvertiser, type Advertiser, type SsdpTransport } from "./advertiser";
import { advertisedUrls, type InterfaceTable } from "./advertised-urls";
import type { SocketHandlers } from "./udp-socket";

export interface AutodiscoveryEdge {
  /** The listen address with the port actually bound. */
  listen: { hostname: string; port: number };
  interfaces: InterfaceTable;
  openSocket: (interfaceAddresses: readonly string[], on: SocketHandlers) => Promise<SsdpTransport>;
}

export interface AutodiscoveryDeps {
  enabled: boolean;
  log: Logger;
  clock: Clock;
}

export function createAutodiscovery(deps: AutodiscoveryDeps) {
  const { log } = deps;
  let running: { advertiser: Advertiser; transport: SsdpTransport } | null = null;

  return {
    active: () => running !== null,

    async start(edge: AutodiscoveryEdge): Promise<void> {
      if (!deps.enabled) {
        log("info", "autodiscovery (UPnP/SSDP) is off: autodiscoverable is false");
        return;
      }
      const choice = advertisedUrls(edge.listen, edge.interfaces);
      if ("reason" in choice) {
        log("warn", `autodiscovery (UPnP/SSDP) is off: ${choice.reason}; give workers the URL with -manager`);
        return;
      }
      const { urls } = choice;
      const advertiser = createAdvertiser({
        urls,
        clock: deps.clock,
        log,
      });
      let transport: SsdpTransport;
      try {
        transport = await edge.openSocket([...new Set(urls.map((u) => u.interfaceAddress))], {
          message: (text, from) => advertiser.receive(text, from),
          error: (err) => log("warn", `autodiscovery: UDP socket: ${err.message}`),
        });
      } catch (err) {
        log(
          "error",
          `autodiscovery (UPnP/SSDP) is off: cannot listen on UDP port ${SSDP_PORT}: ${(err as Error).message}. ` +
            `Workers will not find this Manager by themselves: start them with -manager ${urls[0]!.url}`,
        );
        return;
      }
      advertiser.start(transport);
      running = { advertiser, transport };
      log("info", `autodiscovery (UPnP/SSDP): advertising ${urls.map((u) => u.url).join(", ")}`);
    },

    /** Sends the goodbye and closes the socket. */
    async stop(): Promise<void> {
      if (!running) return;
      const { advertiser, transport } = running;
      running = null;
      await advertiser.stop();
      await transport.close();
    },
  };
}

export type Autodiscovery = ReturnType<typeof createAutodiscovery>;
