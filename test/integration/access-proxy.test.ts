// The client address behind a reverse proxy, through a real server (docs/security.md):
// X-Forwarded-For counts only when the peer is a declared trusted proxy, and then only its
// right-most entries that are not proxies themselves, so a client cannot forge its way in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { requestFrom } from "../manager/auth/http-from";
import { startTestManager, type TestManager } from "../support/manager";

const PROXY = "127.0.0.2";
const NOT_A_PROXY = "127.0.0.3";
const STUDIO = "10.1.2.3";
const INTERNET = "203.0.113.7";

interface SessionAnswer {
  role: string | null;
  name: string;
  via: string;
}

async function whoAmI(
  m: TestManager,
  source: string,
  headers: Record<string, string>,
): Promise<SessionAnswer> {
  const res = await requestFrom(source, `${m.url}/api/tablao/session`, { headers });
  expect(res.status).toBe(200);
  return res.json<SessionAnswer>();
}

describe("without trusted proxies (the default)", () => {
  let m: TestManager;
  beforeAll(async () => {
    m = await startTestManager({ config: { auth: { trusted_networks: { "127.0.0.1/32": "admin" } } } });
  });
  afterAll(() => m.destroy());

  test("X-Forwarded-For is ignored: claiming a trusted address gets nothing, and a trusted peer keeps its role", async () => {
    for (const header of ["127.0.0.1", "::1", "127.0.0.1, 127.0.0.1"]) {
      expect(await whoAmI(m, PROXY, { "X-Forwarded-For": header })).toEqual({
        role: null,
        name: "",
        via: "none",
      });
      const res = await requestFrom(PROXY, `${m.url}/api/v3/jobs`, {
        headers: { "X-Forwarded-For": header },
      });
      expect(res.status).toBe(401);
    }
    expect(await whoAmI(m, "127.0.0.1", { "X-Forwarded-For": INTERNET })).toEqual({
      role: "admin",
      name: "127.0.0.1",
      via: "network",
    });
  });
});

describe("behind a declared trusted proxy", () => {
  let m: TestManager;
  beforeAll(async () => {
    m = await startTestManager({
      config: {
        auth: {
          trusted_networks: { "127.0.0.1/32": "admin", "10.1.0.0/16": "operator" },
          trusted_proxies: [`${PROXY}/32`, "10.9.0.0/16"],
        },
      },
    });
  });
  afterAll(() => m.destroy());

  const via = (source: string, forwardedFor?: string) =>
    whoAmI(m, source, forwardedFor === undefined ? {} : { "X-Forwarded-For": forwardedFor });

  test("the client the proxy saw is believed, through a chain of trusted proxies, IPv4-mapped or not", async () => {
    const operator = { role: "operator", name: STUDIO, via: "network" };
    expect(await via(PROXY, STUDIO)).toEqual(operator);
    expect(await via(PROXY, `${STUDIO}, 10.9.0.1`)).toEqual(operator);
    expect(await via(PROXY, `::ffff:${STUDIO}`)).toEqual(operator);
    // Whatever the client wrote left of its real address does not count.
    expect(await via(PROXY, `${INTERNET}, ${STUDIO}`)).toEqual(operator);
  });

  test("a client cannot forge a trusted address in front of its own", async () => {
    const nobody = { role: null, name: "", via: "none" };
    expect(await via(PROXY, `${STUDIO}, ${INTERNET}`)).toEqual(nobody);
    expect(await via(PROXY, `127.0.0.1, ${INTERNET}`)).toEqual(nobody);
    expect(await via(PROXY, "not-an-address")).toEqual(nobody);
    // Only the declared proxy is believed.
    expect(await via(NOT_A_PROXY, STUDIO)).toEqual(nobody);
    const res = await requestFrom(NOT_A_PROXY, `${m.url}/api/v3/jobs`, {
      headers: { "X-Forwarded-For": STUDIO },
    });
    expect(res.status).toBe(401);
    expect(res.json().message).toContain(NOT_A_PROXY);
  });

  test("the cookie is Secure when the proxy says the client came over https", async () => {
    const { secret } = m.manager.access.tokens.create({ name: "browser", role: "viewer", expiresAt: null });
    const login = (source: string) =>
      requestFrom(source, `${m.url}/api/tablao/session`, {
        method: "POST",
        headers: { "X-Forwarded-For": INTERNET, "X-Forwarded-Proto": "https" },
        body: { token: secret },
      });
    const behindProxy = await login(PROXY);
    expect(behindProxy.status).toBe(200);
    expect(behindProxy.headers["set-cookie"]?.[0]).toContain("; Secure");
    const direct = await login(NOT_A_PROXY);
    expect(direct.status).toBe(200);
    expect(direct.headers["set-cookie"]?.[0]).not.toContain("Secure");
  });
});
