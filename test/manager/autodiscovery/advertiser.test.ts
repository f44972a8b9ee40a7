import { describe, expect, test } from "bun:test";
import {
  createAdvertiser,
  MAX_PENDING_SEARCHES,
  NOTIFY_INTERVAL_MS,
  SEARCH_REPLY_MAX_DELAY_MS,
  type Peer,
} from "../../../src/manager/autodiscovery/advertiser";
import type { AdvertisedUrl } from "../../../src/manager/autodiscovery/advertised-urls";
import { parseSsdpMessage, searchRequest } from "../../../src/shared/ssdp";
import { FakeClock } from "../../support/fake-clock";

const URLS: AdvertisedUrl[] = [
  { url: "http://10.0.0.5:8080/", interfaceAddress: "10.0.0.5", network: "10.0.0.5/16" },
  { url: "http://192.168.1.20:8080/", interfaceAddress: "192.168.1.20", network: "192.168.1.20/24" },
];
const WORKER: Peer = { address: "192.168.1.77", port: 40000 };

interface Sent {
  to: Peer;
  via?: string;
  startLine: string;
  headers: Record<string, string>;
}

function setup(random = () => 0.5) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  let closed = false;
  const advertiser = createAdvertiser({ urls: URLS, clock, log: () => {}, random });
  advertiser.start({
    async send(text, to, via) {
      const msg = parseSsdpMessage(text);
      if (!msg) throw new Error(`unparsable: ${text}`);
      const startLine = text.slice(0, text.indexOf("\r\n"));
      sent.push({ to, via, startLine, headers: Object.fromEntries(msg.headers) });
    },
    async close() {
      closed = true;
    },
  });
  /** Lets the asynchronous sends finish. */
  const settle = () => Bun.sleep(0);
  return { clock, sent, advertiser, settle, closed: () => closed };
}

const answers = (sent: Sent[]) => sent.filter((s) => s.startLine === "HTTP/1.1 200 OK");
const notifies = (sent: Sent[], nts: string) =>
  sent.filter((s) => s.startLine === "NOTIFY * HTTP/1.1" && s.headers.NTS === nts);

describe("the SSDP advertiser", () => {
  test("announces each URL through its own interface at start, twice more soon after, then periodically", async () => {
    const { clock, sent, settle } = setup();
    await settle();
    expect(notifies(sent, "ssdp:alive").map((s) => [s.via, s.headers.LOCATION, s.to.address])).toEqual([
      ["10.0.0.5", "http://10.0.0.5:8080/upnp/description.xml", "239.255.255.250"],
      ["192.168.1.20", "http://192.168.1.20:8080/upnp/description.xml", "239.255.255.250"],
    ]);
    expect(notifies(sent, "ssdp:alive")[0]!.headers).toMatchObject({
      HOST: "239.255.255.250:1900",
      NT: "urn:flamenco:manager:0",
      USN: "uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d::urn:flamenco:manager:0",
      "CACHE-CONTROL": "max-age=3600",
    });
    clock.advance(3_000);
    await settle();
    expect(notifies(sent, "ssdp:alive")).toHaveLength(6);
    clock.advance(NOTIFY_INTERVAL_MS - 3_000);
    await settle();
    expect(notifies(sent, "ssdp:alive")).toHaveLength(8);
  });

  test.each([
    "urn:flamenco:manager:0",
    "ssdp:all",
    "uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d",
    '"ssdp:all"',
  ])(
    "answers a search for %s with every URL, the searcher's network first, within the delay cap",
    async (target) => {
      const { clock, sent, advertiser, settle } = setup(() => 0.999);
      advertiser.receive(searchRequest(target), WORKER);
      clock.advance(SEARCH_REPLY_MAX_DELAY_MS - 2);
      await settle();
      expect(answers(sent)).toEqual([]);
      clock.advance(2);
      await settle();
      expect(answers(sent).map((a) => [a.to, a.headers.LOCATION])).toEqual([
        [WORKER, "http://192.168.1.20:8080/upnp/description.xml"],
        [WORKER, "http://10.0.0.5:8080/upnp/description.xml"],
      ]);
      expect(answers(sent)[0]!.headers).toMatchObject({
        ST: "urn:flamenco:manager:0",
        USN: "uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d::urn:flamenco:manager:0",
        "CACHE-CONTROL": "max-age=3600",
        EXT: "",
      });
      // Sent at 0.999 s after the fake clock's start; the date has whole seconds.
      expect(answers(sent)[0]!.headers.DATE).toBe("Mon, 05 Jan 2026 10:00:00 GMT");
    },
  );

  test("a search with MX 1 is answered within a second at most, one without MX at once", async () => {
    const { clock, sent, advertiser, settle } = setup(() => 0.999);
    advertiser.receive(searchRequest("ssdp:all").replace("MX: 3\r\n", ""), WORKER);
    clock.advance(0);
    await settle();
    expect(answers(sent)).toHaveLength(2);
  });

  test.each([
    ["another device type", searchRequest("urn:schemas-upnp-org:device:MediaServer:1"), WORKER],
    ["a search without MAN", searchRequest("ssdp:all").replace('MAN: "ssdp:discover"\r\n', ""), WORKER],
    ["a search from another network", searchRequest("ssdp:all"), { address: "203.0.113.9", port: 1900 }],
    [
      "another device's announcement",
      "NOTIFY * HTTP/1.1\r\nNT: urn:flamenco:manager:0\r\nNTS: ssdp:alive\r\n\r\n",
      WORKER,
    ],
    ["garbage", "\u0000\u0001hello", WORKER],
  ])("ignores %s", async (_, text, from) => {
    const { clock, sent, advertiser, settle } = setup();
    advertiser.receive(text, from);
    clock.advance(SEARCH_REPLY_MAX_DELAY_MS);
    await settle();
    expect(answers(sent)).toEqual([]);
  });

  test("answers this machine's own searches", async () => {
    const { clock, sent, advertiser, settle } = setup();
    advertiser.receive(searchRequest("ssdp:all"), { address: "127.0.0.1", port: 5 });
    clock.advance(SEARCH_REPLY_MAX_DELAY_MS);
    await settle();
    expect(answers(sent)).toHaveLength(2);
  });

  test("a flood of searches is answered up to the pending limit", async () => {
    const { clock, sent, advertiser, settle } = setup();
    for (let i = 0; i < MAX_PENDING_SEARCHES + 10; i++) advertiser.receive(searchRequest("ssdp:all"), WORKER);
    clock.advance(SEARCH_REPLY_MAX_DELAY_MS);
    await settle();
    expect(answers(sent)).toHaveLength(MAX_PENDING_SEARCHES * URLS.length);
  });

  test("stop says goodbye for each URL and sends nothing after", async () => {
    const { clock, sent, advertiser, settle } = setup();
    advertiser.receive(searchRequest("ssdp:all"), WORKER);
    await advertiser.stop();
    expect(notifies(sent, "ssdp:byebye").map((s) => [s.via, s.headers.USN, s.headers.LOCATION])).toEqual([
      ["10.0.0.5", "uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d::urn:flamenco:manager:0", undefined],
      ["192.168.1.20", "uuid:aa80bc5f-d0af-46b8-8630-23bd7e80ec4d::urn:flamenco:manager:0", undefined],
    ]);
    const count = sent.length;
    clock.advance(NOTIFY_INTERVAL_MS * 2);
    advertiser.receive(searchRequest("ssdp:all"), WORKER);
    clock.advance(SEARCH_REPLY_MAX_DELAY_MS);
    await settle();
    expect(sent).toHaveLength(count);
  });
});
