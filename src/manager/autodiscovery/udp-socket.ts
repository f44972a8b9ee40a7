// The advertiser's UDP socket (node:dgram, which Bun implements with multicast membership):
// bound to the SSDP port on every address, joined to the multicast group on each advertised
// interface. Opened by the server's entry point and handed to the autodiscovery service.
import { createSocket } from "node:dgram";
import { SSDP_MAX_DATAGRAM_BYTES, SSDP_MULTICAST_ADDRESS, SSDP_PORT } from "../../shared/ssdp";
import type { Peer, SsdpTransport } from "./advertiser";

export interface SocketHandlers {
  message: (text: string, from: Peer) => void;
  /** Trouble after the socket was opened (an interface going away): logged, never fatal. */
  error: (err: Error) => void;
}

/** UPnP's hop limit for SSDP multicasts: the local network and one router at most. */
const SSDP_MULTICAST_TTL = 2;

export async function openSsdpSocket(
  interfaceAddresses: readonly string[],
  on: SocketHandlers,
): Promise<SsdpTransport> {
  // Shared with other SSDP services on the machine (media servers, printers), which also bind 1900.
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(SSDP_PORT, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  const joined: string[] = [];
  const failures: string[] = [];
  for (const address of interfaceAddresses) {
    try {
      socket.addMembership(SSDP_MULTICAST_ADDRESS, address);
      joined.push(address);
    } catch (err) {
      failures.push(`${address}: ${(err as Error).message}`);
    }
  }
  if (joined.length === 0) {
    socket.close();
    throw new Error(`cannot join ${SSDP_MULTICAST_ADDRESS} on any interface (${failures.join("; ")})`);
  }
  socket.setMulticastTTL(SSDP_MULTICAST_TTL);
  socket.setMulticastLoopback(true);
  socket.on("message", (data, rinfo) => {
    if (data.length <= SSDP_MAX_DATAGRAM_BYTES)
      on.message(data.toString("utf8"), { address: rinfo.address, port: rinfo.port });
  });
  socket.on("error", on.error);

  // The outgoing interface is a socket option: sends go one after another so none takes another's.
  let queue = Promise.resolve();
  return {
    send(text, to, via) {
      const sent = queue.then(
        () =>
          new Promise<void>((resolve, reject) => {
            if (via) socket.setMulticastInterface(via);
            socket.send(text, to.port, to.address, (err) => (err ? reject(err) : resolve()));
          }),
      );
      queue = sent.catch(() => {});
      return sent;
    },
    async close() {
      await queue;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
