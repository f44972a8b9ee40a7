// Open WebSocket connections per client address, for the per-address limit. An IPv4 client seen
// through an IPv6 socket (`::ffff:10.0.0.5`) counts as its IPv4 address, so it has one count
// whichever way the Manager listens. IPv6 addresses count one by one, not per /64: a studio's
// whole LAN usually shares one /64.
import ipaddr from "ipaddr.js";

/** The key clients are counted under; connections without a known address share one. */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  return ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
}

export class AddressCounts {
  private readonly counts = new Map<string, number>();

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.counts.set(key, this.get(key) + 1);
  }

  remove(key: string): void {
    const n = this.get(key) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }
}
