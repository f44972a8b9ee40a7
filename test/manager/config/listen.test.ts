import { describe, expect, test } from "bun:test";
import {
  ANY_HOST,
  DEFAULT_PORT,
  canonicalListen,
  parseListen,
  parsePort,
} from "../../../src/manager/config/listen";

describe("parseListen", () => {
  test.each([
    [":8080", ANY_HOST, 8080],
    [":0", ANY_HOST, 0],
    ["127.0.0.1:8080", "127.0.0.1", 8080],
    ["localhost:3000", "localhost", 3000],
    ["[::1]:8080", "::1", 8080],
    ["[::]:9000", "::", 9000],
    ["localhost", "localhost", DEFAULT_PORT],
    ["[::1]", "::1", DEFAULT_PORT],
    ["  :8081  ", ANY_HOST, 8081],
    ["18620", ANY_HOST, 18620],
    [" 0 ", ANY_HOST, 0],
  ])("%p → %p port %p", (input, hostname, port) => {
    expect(parseListen(input)).toEqual({ hostname, port });
  });

  test.each([
    ["", "it is empty"],
    ["::1:8080", "IPv6 addresses need brackets"],
    ["[::1:8080", 'missing "]"'],
    ["[::1]8080", 'expected ":port"'],
    ["[]:8080", "empty IPv6 address"],
    [":http", 'invalid port "http"'],
    [":70000", 'invalid port "70000"'],
    ["host:", 'invalid port ""'],
    ["my host:80", "bad host"],
    ["70000", 'invalid port "70000"'],
  ])("rejects %p (%s)", (input, why) => {
    expect(() => parseListen(input)).toThrow(why);
  });

  test("a refusal shows the accepted forms", () => {
    expect(() => parseListen("::1:8080")).toThrow(
      'invalid listen address "::1:8080": IPv6 addresses need brackets, e.g. [::1]:8080 (accepted forms: 8080 or :8080 (every interface), 127.0.0.1:8080, localhost:8080, [::1]:8080, or a host alone for port 8080)',
    );
  });
});

describe("canonicalListen", () => {
  test.each([
    ["18620", ":18620"],
    [" 18620 ", ":18620"],
    [":18620", ":18620"],
    ["localhost", "localhost"],
    ["127.0.0.1:80", "127.0.0.1:80"],
  ])("%p → %p", (input, canonical) => {
    expect(canonicalListen(input)).toBe(canonical);
  });
});

describe("parsePort", () => {
  test("accepts 0 to 65535", () => {
    expect(parsePort("0")).toBe(0);
    expect(parsePort("65535")).toBe(65535);
  });
  test.each(["-1", "65536", "80a", " 80", "8.0"])("rejects %p", (input) => {
    expect(() => parsePort(input)).toThrow("use a number from 0 to 65535");
  });
});
