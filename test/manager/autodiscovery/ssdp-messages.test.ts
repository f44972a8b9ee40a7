import { describe, expect, test } from "bun:test";
import {
  deviceIdOfUsn,
  formatSsdpMessage,
  parseSsdpMessage,
  searchRequest,
  SSDP_MAX_DATAGRAM_BYTES,
} from "../../../src/shared/ssdp";

describe("SSDP messages", () => {
  test("the search is Flamenco's, header for header", () => {
    expect(searchRequest("urn:flamenco:manager:0")).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: urn:flamenco:manager:0\r\nMAN: "ssdp:discover"\r\nMX: 3\r\n\r\n',
    );
  });

  test("a request parses into method, target and upper-cased headers", () => {
    const msg = parseSsdpMessage(
      'M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\nst:ssdp:all \r\nMan: "ssdp:discover"\r\n\r\n',
    );
    expect(msg).toEqual({
      kind: "request",
      method: "M-SEARCH",
      target: "*",
      headers: new Map([
        ["HOST", "239.255.255.250:1900"],
        ["ST", "ssdp:all"],
        ["MAN", '"ssdp:discover"'],
      ]),
    });
  });

  test("a response parses with its status; an empty header value is kept", () => {
    const msg = parseSsdpMessage(
      formatSsdpMessage("HTTP/1.1 200 OK", [
        ["LOCATION", "http://h:1/x"],
        ["EXT", ""],
      ]),
    );
    expect(msg).toEqual({
      kind: "response",
      status: 200,
      headers: new Map([
        ["LOCATION", "http://h:1/x"],
        ["EXT", ""],
      ]),
    });
  });

  test("bare newlines are accepted, as some devices send them", () => {
    expect(parseSsdpMessage("HTTP/1.1 200 OK\nST: x\n\n")).toMatchObject({ kind: "response", status: 200 });
  });

  test.each([
    ["not HTTP at all", "hello"],
    ["a header line without a colon", "HTTP/1.1 200 OK\r\nST x\r\n\r\n"],
    ["a bad request line", "M-SEARCH *\r\n\r\n"],
    ["an oversized datagram", `HTTP/1.1 200 OK\r\nX: ${"a".repeat(SSDP_MAX_DATAGRAM_BYTES)}\r\n\r\n`],
  ])("%s is not a message", (_, text) => {
    expect(parseSsdpMessage(text)).toBeNull();
  });

  test("the device id of a USN", () => {
    expect(deviceIdOfUsn("uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d::urn:flamenco:manager:0")).toBe(
      "aa80bc5f-d0af-46b8-8630-23bd7e80ec4d",
    );
    expect(deviceIdOfUsn("uuid:abc")).toBe("abc");
    expect(deviceIdOfUsn("urn:flamenco:manager:0")).toBeNull();
    expect(deviceIdOfUsn("")).toBeNull();
  });
});
