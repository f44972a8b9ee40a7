// The worker's search for its Manager: which answers count, and how candidates are tried, with
// a real Manager answering the version call (the SSDP socket is a stand-in that answers searches).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  candidateFromAnswer,
  discoverManager,
  DiscoveryError,
  MAX_CANDIDATES,
  probeManager,
  type OpenSearchSocket,
} from "../../src/worker/autodiscovery";
import { formatSsdpMessage, FLAMENCO_USN } from "../../src/shared/ssdp";
import { silentLogger, type LogLevel } from "../../src/shared/log";
import { freePort } from "../support/processes";
import { startTestManager, type TestManager } from "../support/manager";
import { rejectedBy } from "../support/thrown";

function answer(location: string, usn = FLAMENCO_USN): string {
  return formatSsdpMessage("HTTP/1.1 200 OK", [
    ["ST", "urn:flamenco:manager:0"],
    ["USN", usn],
    ["LOCATION", location],
  ]);
}

/** A socket whose every search is answered with `answers`; records where searches went. */
function answering(answers: string[]) {
  const searches: (string | undefined)[] = [];
  let closed = false;
  const open: OpenSearchSocket = async (onMessage) => ({
    async send(text, via) {
      expect(text).toStartWith("M-SEARCH * HTTP/1.1\r\n");
      searches.push(via);
      queueMicrotask(() => answers.forEach(onMessage));
    },
    async close() {
      closed = true;
    },
  });
  return { open, searches, closed: () => closed };
}

let manager: TestManager;
beforeAll(async () => {
  manager = await startTestManager({ config: { manager_name: "Found farm" } });
});
afterAll(() => manager.destroy());

describe("answers to the search", () => {
  test("a Flamenco Manager's answer gives the root of its LOCATION", () => {
    expect(candidateFromAnswer(answer("http://10.0.0.5:8080/upnp/description.xml"))).toBe(
      "http://10.0.0.5:8080/",
    );
  });

  test.each([
    [
      "another device id",
      answer("http://10.0.0.5:8080/x", "uuid:11111111-2222-3333-4444-555555555555::urn:flamenco:manager:0"),
    ],
    ["no LOCATION", formatSsdpMessage("HTTP/1.1 200 OK", [["USN", FLAMENCO_USN]])],
    ["a LOCATION that is not http", answer("file:///etc/passwd")],
    [
      "an error status",
      formatSsdpMessage("HTTP/1.1 500 Oops", [
        ["USN", FLAMENCO_USN],
        ["LOCATION", "http://h/"],
      ]),
    ],
    ["a search rather than an answer", 'M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: "ssdp:discover"\r\n\r\n'],
  ])("%s is not a candidate", (_, text) => {
    expect(candidateFromAnswer(text)).toBeNull();
  });
});

describe("discoverManager", () => {
  test("tries every candidate and takes the first, in arrival order, that answers its version", async () => {
    const dead = `http://127.0.0.1:${freePort()}/upnp/description.xml`;
    const real = `${manager.url}/upnp/description.xml`;
    const socket = answering([answer(dead), answer(real), answer(real)]);
    const lines: [LogLevel, string][] = [];
    const url = await discoverManager({
      openSocket: socket.open,
      interfaceAddresses: () => ["10.0.0.9", "192.168.5.9"],
      probe: probeManager,
      log: (level, msg) => lines.push([level, msg]),
      timeoutMs: 5_000,
      searchIntervalMs: 10,
    });
    expect(url).toBe(`${manager.url}/`);
    expect(socket.searches).toEqual(["10.0.0.9", "192.168.5.9"]);
    expect(socket.closed()).toBe(true);
    expect(lines.some(([l, m]) => l === "info" && m.includes('found Manager "Found farm"'))).toBe(true);
  });

  test("without network interfaces the search goes where the system routes it", async () => {
    const socket = answering([answer(`${manager.url}/upnp/description.xml`)]);
    await discoverManager({
      openSocket: socket.open,
      interfaceAddresses: () => [],
      probe: probeManager,
      log: silentLogger,
      timeoutMs: 5_000,
      searchIntervalMs: 10,
    });
    expect(socket.searches).toEqual([undefined]);
  });

  test("keeps searching while no candidate answers, then gives up naming them", async () => {
    const dead = `http://127.0.0.1:${freePort()}/`;
    const socket = answering([answer(`${dead}upnp/description.xml`)]);
    const warnings: string[] = [];
    const err = await rejectedBy(DiscoveryError, () =>
      discoverManager({
        openSocket: socket.open,
        interfaceAddresses: () => ["10.0.0.9"],
        probe: probeManager,
        log: (level, msg) => level === "warn" && warnings.push(msg),
        timeoutMs: 300,
        searchIntervalMs: 20,
      }),
    );
    expect(err.message).toContain(`none of ${dead} answered`);
    expect(err.message).toContain("-manager");
    expect(socket.searches.length).toBeGreaterThan(2);
    // The same unusable candidate is reported once, not on every search.
    expect(warnings).toHaveLength(1);
    expect(socket.closed()).toBe(true);
  });

  test("keeps at most MAX_CANDIDATES of the URLs that answer", async () => {
    const flood = Array.from({ length: MAX_CANDIDATES + 5 }, (_, i) => answer(`http://10.1.0.${i}:8080/x`));
    const socket = answering(flood);
    const probed = new Set<string>();
    await rejectedBy(DiscoveryError, () =>
      discoverManager({
        openSocket: socket.open,
        interfaceAddresses: () => [],
        probe: async (url) => {
          probed.add(url);
          return { ok: false, why: "refused" };
        },
        log: silentLogger,
        timeoutMs: 50,
        searchIntervalMs: 10,
      }),
    );
    expect(probed.size).toBe(MAX_CANDIDATES);
  });

  test("with no answer at all it gives up after its time limit", async () => {
    const socket = answering([]);
    const started = Date.now();
    const err = await rejectedBy(DiscoveryError, () =>
      discoverManager({
        openSocket: socket.open,
        interfaceAddresses: () => [],
        probe: probeManager,
        log: silentLogger,
        timeoutMs: 200,
        searchIntervalMs: 50,
      }),
    );
    expect(err.message).toContain("no Manager found by UPnP/SSDP");
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  test("stops when aborted", async () => {
    const abort = new AbortController();
    const socket = answering([]);
    const search = discoverManager({
      openSocket: socket.open,
      interfaceAddresses: () => [],
      probe: probeManager,
      log: silentLogger,
      timeoutMs: 60_000,
      searchIntervalMs: 10_000,
      signal: abort.signal,
    });
    abort.abort();
    expect((await rejectedBy(DiscoveryError, () => search)).message).toContain("stopped");
  });
});
