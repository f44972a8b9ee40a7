// The SSDP (UPnP discovery) datagrams Flamenco Managers and workers exchange, shared by the
// Manager's advertiser (src/manager/autodiscovery/) and the worker's search
// (src/worker/autodiscovery.ts): the addresses and names on the wire, and the text format of
// the messages, which is HTTP/1.1 head syntax in one UDP datagram. See docs/autodiscovery.md.

export const SSDP_MULTICAST_ADDRESS = "239.255.255.250";
export const SSDP_PORT = 1900;
export const FLAMENCO_SERVICE_TYPE = "urn:flamenco:manager:0";
/**
 * Flamenco gives every Manager this same device UUID, and its workers drop answers carrying
 * any other: a Manager that wants to be found by them cannot have a UUID of its own.
 */
export const FLAMENCO_DEVICE_UUID = "aa80bc5f-d0af-46b8-8630-23bd7e80ec4d";
export const FLAMENCO_USN = `uuid:${FLAMENCO_DEVICE_UUID}::${FLAMENCO_SERVICE_TYPE}`;
export const DESCRIPTION_PATH = "/upnp/description.xml";
/** SSDP messages are a few hundred bytes; anything larger is not one we answer or accept. */
export const SSDP_MAX_DATAGRAM_BYTES = 2048;
/** What Flamenco's workers put in MX: answer within this many seconds. */
const FLAMENCO_SEARCH_MX_S = 3;

export interface SsdpRequest {
  kind: "request";
  method: string;
  target: string;
  /** Header names upper-cased; values trimmed. */
  headers: Map<string, string>;
}

export interface SsdpResponse {
  kind: "response";
  status: number;
  headers: Map<string, string>;
}

const REQUEST_LINE = /^([A-Z][A-Z-]*) (\S+) HTTP\/1\.[01]$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/** Parses one datagram; null for anything that is not an HTTP-style head (it is then ignored). */
export function parseSsdpMessage(text: string): SsdpRequest | SsdpResponse | null {
  if (text.length > SSDP_MAX_DATAGRAM_BYTES) return null;
  const lines = text.split(/\r?\n/);
  const first = lines.shift() ?? "";
  const headers = new Map<string, string>();
  for (const line of lines) {
    if (line === "") break;
    const header = HEADER_LINE.exec(line);
    if (!header) return null;
    headers.set(header[1]!.toUpperCase(), header[2]!);
  }
  const status = STATUS_LINE.exec(first);
  if (status) return { kind: "response", status: Number(status[1]), headers };
  const request = REQUEST_LINE.exec(first);
  if (request) return { kind: "request", method: request[1]!, target: request[2]!, headers };
  return null;
}

/** A datagram: the start line, `NAME: value` lines and the empty line that ends the head. */
export function formatSsdpMessage(
  startLine: string,
  headers: readonly (readonly [string, string])[],
): string {
  return [startLine, ...headers.map(([name, value]) => `${name}: ${value}`), "", ""].join("\r\n");
}

/** The M-SEARCH a Flamenco worker multicasts, header for header. */
export function searchRequest(searchTarget: string, mxSeconds = FLAMENCO_SEARCH_MX_S): string {
  return formatSsdpMessage("M-SEARCH * HTTP/1.1", [
    ["HOST", `${SSDP_MULTICAST_ADDRESS}:${SSDP_PORT}`],
    ["ST", searchTarget],
    ["MAN", '"ssdp:discover"'],
    ["MX", String(mxSeconds)],
  ]);
}

/** The device UUID of a USN (`uuid:<id>` or `uuid:<id>::<type>`), or null. */
export function deviceIdOfUsn(usn: string): string | null {
  const match = /^uuid:([^:]+)(?:::.*)?$/.exec(usn.trim());
  return match ? match[1]! : null;
}
