// UPnP/SSDP autodiscovery between machines of their own: a "server" network namespace with two
// Managers (one advertising, one with autodiscoverable: false) and a "studio" namespace for the
// workers, joined by a veth pair; the test itself reaches the server over a second pair. The
// studio has a multicast route only, so of the two URLs advertised, only one is reachable from it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { z } from "zod";
import { SEARCH_REPLY_MAX_DELAY_MS } from "../../src/manager/autodiscovery/advertiser";
import { parseSsdpMessage } from "../../src/shared/ssdp";
import {
  createStudioNetwork,
  requireNetworkNamespaces,
  type Namespace,
  type StudioNetwork,
} from "../support/netns";
import {
  killChildren,
  managerApi,
  startManager,
  startWorker,
  type ManagerProcess,
} from "../support/processes";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

afterAll(killChildren);
const tempDir = tempDirs("tablao-autodiscovery");

/** A Flamenco worker's search, byte for byte (its library writes these four headers). */
const FLAMENCO_M_SEARCH =
  "M-SEARCH * HTTP/1.1\r\n" +
  "HOST: 239.255.255.250:1900\r\n" +
  "ST: urn:flamenco:manager:0\r\n" +
  'MAN: "ssdp:discover"\r\n' +
  "MX: 3\r\n" +
  "\r\n";
/** Every answer is due within the Manager's reply delay; the margin covers the trip and a slow start. */
const ANSWER_WINDOW_MS = SEARCH_REPLY_MAX_DELAY_MS + 1_500;

let lan: StudioNetwork | undefined;
let studio: Namespace;
let SERVER_TEST_SIDE: string;
let SERVER_STUDIO_SIDE: string;
let advertising: ManagerProcess;
let silent: ManagerProcess;

beforeAll(async () => {
  requireNetworkNamespaces("the autodiscovery test");
  lan = createStudioNetwork("sd", 80);
  ({ studio, serverTestSide: SERVER_TEST_SIDE, serverStudioSide: SERVER_STUDIO_SIDE } = lan);
  const where = { netns: lan.server.name, reachAt: SERVER_TEST_SIDE };
  [advertising, silent] = await Promise.all([
    startManager(tempDir(), {}, "0.0.0.0", where),
    startManager(tempDir(), { autodiscoverable: false }, "0.0.0.0", where),
  ]);
});

afterAll(async () => {
  await killChildren();
  lan?.delete();
});

/** Sends Flamenco's search from the studio and returns every datagram answering it within the window. */
async function searchFromStudio(): Promise<{ from: string; text: string }[]> {
  const out = await studio.run(`
    import { createSocket } from "node:dgram";
    const socket = createSocket("udp4");
    const answers = [];
    socket.on("message", (data, rinfo) => answers.push({ from: rinfo.address, text: data.toString() }));
    await new Promise((resolve) => socket.bind(0, resolve));
    socket.send(${JSON.stringify(FLAMENCO_M_SEARCH)}, 1900, "239.255.255.250");
    await Bun.sleep(${ANSWER_WINDOW_MS});
    socket.close();
    console.log(JSON.stringify(answers));`);
  return z.array(z.object({ from: z.string(), text: z.string() })).parse(JSON.parse(out));
}

describe("UPnP/SSDP autodiscovery", () => {
  test("a Flamenco-style search is answered with every reachable URL, the studio's network first", async () => {
    const answers = await searchFromStudio();
    const heads = answers.map((a) => {
      const msg = parseSsdpMessage(a.text);
      if (msg?.kind !== "response") throw new Error(`not an SSDP answer: ${JSON.stringify(a.text)}`);
      return { status: msg.status, from: a.from, headers: Object.fromEntries(msg.headers) };
    });
    const port = advertising.port;
    expect(heads.map((h) => h.headers.LOCATION)).toEqual([
      `http://${SERVER_STUDIO_SIDE}:${port}/upnp/description.xml`,
      `http://${SERVER_TEST_SIDE}:${port}/upnp/description.xml`,
    ]);
    for (const h of heads) {
      expect(h.status).toBe(200);
      expect(h.from).toBe(SERVER_STUDIO_SIDE);
      expect(h.headers.ST).toBe("urn:flamenco:manager:0");
      expect(h.headers.USN).toBe("uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d::urn:flamenco:manager:0");
      expect(h.headers["CACHE-CONTROL"]).toBe("max-age=3600");
      expect(h.headers).toHaveProperty("EXT");
      expect(Date.parse(h.headers.DATE ?? "")).not.toBeNaN();
    }

    const res = await fetch(`${advertising.url}/upnp/description.xml`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/xml");
    const xml = await res.text();
    expect(xml).toStartWith('<?xml version="1.0" encoding="UTF-8"?>');
    expect(xml).toContain('<root xmlns="urn:schemas-upnp-org:device-1-0">');
    expect(xml).toContain("<deviceType>urn:flamenco:manager:0</deviceType>");
    expect(xml).toContain("<UDN>uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d</UDN>");
  }, 30_000);

  test("autodiscoverable: false stays silent and has no description", async () => {
    const answers = await searchFromStudio();
    // The advertising Manager answers the same search, so the silence is the other one's own.
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.text.includes(`:${silent.port}/`))).toEqual([]);

    const res = await fetch(`${silent.url}/upnp/description.xml`);
    expect(res.status).toBe(404);
    expect(z.object({ code: z.number(), message: z.string() }).parse(await res.json()).message).toContain(
      "autodiscovery",
    );
    expect(silent.log()).toContain("autodiscoverable is false");
  }, 30_000);

  test("a worker started without any URL finds the Manager and registers", async () => {
    const worker = startWorker(null, { name: "found-by-ssdp", home: tempDir(), netns: studio.name });
    const api = managerApi(advertising.url);
    const Workers = z.object({ workers: z.array(z.object({ name: z.string(), status: z.string() })) });
    await waitFor(
      "the discovered worker to sign on",
      async () =>
        Workers.parse(await api.get("/api/v3/worker-mgt/workers")).workers.some(
          (w) => w.name === "found-by-ssdp" && w.status === "awake",
        ),
      20_000,
    );
    expect(worker.workerId()).not.toBeNull();
    expect(worker.log()).toContain(`at http://${SERVER_STUDIO_SIDE}:${advertising.port}/`);
    await worker.stop();
  }, 30_000);
});
