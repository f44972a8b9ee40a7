// Flamenco's `listen` address syntax (`:8080`, `127.0.0.1:8080`, `[::1]:8080`), plus a bare
// port (`8080`, which Flamenco would take for a host name), and the `PORT` environment value,
// turned into what Bun.serve needs.

export const DEFAULT_PORT = 8080;
// An address without a host means "every interface", like Go's `:8080`; this is Bun's own default.
export const ANY_HOST = "0.0.0.0";
const MAX_PORT = 65535;
const BARE_PORT = /^\d+$/;
const ACCEPTED_FORMS = `accepted forms: 8080 or :8080 (every interface), 127.0.0.1:8080, localhost:8080, [::1]:8080, or a host alone for port ${DEFAULT_PORT}`;

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Parses a port number (0 lets the OS choose); throws Error naming the problem. */
export function parsePort(text: string): number {
  if (!BARE_PORT.test(text) || Number(text) > MAX_PORT) {
    throw new Error(`invalid port ${JSON.stringify(text)} (use a number from 0 to ${MAX_PORT})`);
  }
  return Number(text);
}

/** Parses `host:port`, `:port`, `[ipv6]:port`, a bare port or a bare host; throws Error naming the problem. */
export function parseListen(address: string): ListenAddress {
  const text = address.trim();
  const invalid = (why: string) =>
    new Error(`invalid listen address ${JSON.stringify(address)}: ${why} (${ACCEPTED_FORMS})`);
  if (text === "") throw invalid("it is empty");
  if (BARE_PORT.test(text)) {
    try {
      return { hostname: ANY_HOST, port: parsePort(text) };
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }

  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw invalid('missing "]" after the IPv6 address');
    host = text.slice(1, close);
    if (host === "") throw invalid("empty IPv6 address between brackets");
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw invalid('expected ":port" after "]"');
      portText = rest.slice(1);
    }
  } else {
    const parts = text.split(":");
    if (parts.length > 2) throw invalid("IPv6 addresses need brackets, e.g. [::1]:8080");
    [host = "", portText] = parts;
  }
  if (/[\s/[\]]/.test(host)) throw invalid(`bad host ${JSON.stringify(host)}`);

  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    try {
      port = parsePort(portText);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
  return { hostname: host === "" ? ANY_HOST : host, port };
}

/** The address as Flamenco writes it: a bare port becomes `:port`, anything else is kept. */
export function canonicalListen(address: string): string {
  const text = address.trim();
  return BARE_PORT.test(text) ? `:${text}` : address;
}
