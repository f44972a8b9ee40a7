// The access-control middleware (src/manager/auth/access-control.ts) on an app built in-process:
// how often a request's caller is worked out when several routes' guards match it.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createAccessControl } from "../../../src/manager/auth/access-control";
import { createApiApp, declareRoute } from "../../../src/manager/api/http";
import { createTestFarm, type TestFarm } from "../../support/builders";

let farm: TestFarm;
beforeEach(() => {
  farm = createTestFarm();
});
afterEach(() => farm.close());

test("a request matched by overlapping routes has its caller resolved once, and each guard still applies", async () => {
  const access = createAccessControl({
    ...farm,
    log: () => {},
    settings: () => ({ trustedNetworks: [{ network: "10.0.0.0/8", role: "viewer" }], trustedProxies: [] }),
  });
  const app = createApiApp(() => {});
  app.guard = (route) => access.guard(route);
  // Like the API docs page and the files below it: a guard-only route, then a wildcard sibling.
  declareRoute(app, ["GET"], "/docs", "public");
  declareRoute(app, ["GET"], "/docs/*", "viewer");
  app.get("/docs", (c) => c.json(c.var.principal));

  let lookups = 0;
  const from = (address: string) => ({
    remoteAddress: () => {
      lookups++;
      return address;
    },
  });
  const trusted = await app.request("/docs", {}, from("10.1.2.3"));
  expect(trusted.status).toBe(200);
  expect(await trusted.json()).toEqual({
    role: "viewer",
    name: "10.1.2.3",
    via: "network",
    address: "10.1.2.3",
  });
  expect(lookups).toBe(1);

  lookups = 0;
  expect((await app.request("/docs", {}, from("192.0.2.1"))).status).toBe(401);
  expect(lookups).toBe(1);
});
