// Every (method, path) the Manager serves × every kind of caller, through a real server: what a
// caller gets is what the route declares (docs/security.md). The walk comes from
// servedRoutes(), so a route added later is walked too, and one registered without declaring
// its access fails the completeness test below.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServedRoute } from "../../src/manager/auth/access";
import { ROLES, roleIncludes, type Role } from "../../src/manager/auth/roles";
import { servedRoutes } from "../../src/manager/bun-serve";
import { basicAuthHeader } from "../../src/worker/client";
import { requestFrom } from "../manager/auth/http-from";
import { startTestManager, type TestManager } from "../support/manager";
import { tempDirs } from "../support/temp-dirs";

const UNTRUSTED = "127.0.0.2";
/** The address each role is trusted at; 127.0.0.1 stays admin for the test's own set-up calls. */
const NETWORK_SOURCE: Record<Role, string> = {
  viewer: "127.0.0.3",
  submitter: "127.0.0.4",
  operator: "127.0.0.5",
  admin: "127.0.0.6",
};
const TRUSTED_NETWORKS = {
  "127.0.0.1/32": "admin",
  ...Object.fromEntries(ROLES.map((role) => [`${NETWORK_SOURCE[role]}/32`, role])),
};
const SAFE_METHODS = new Set(["GET", "HEAD"]);
const freshDir = tempDirs("tablao-access-matrix");
const WORKER_SECRET = "matrix-worker-secret-0123456789";

/** Valid-looking values for the path parameters; any other parameter is an ID (a fresh UUID). */
const SAMPLE_PARAMS: Record<string, string> = {
  audience: "users",
  platform: "linux",
  typeName: "simple-blender-render",
  checksum: "ab".repeat(32),
  filesize: "1",
};

const fill = (path: string) =>
  path
    .replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? crypto.randomUUID())
    .replace(/\*$/, "x");

interface Caller {
  label: string;
  source: string;
  role: Role | null;
  /** A cookie session that sends no CSRF header. */
  withoutCsrf?: boolean;
  workerAuth?: boolean;
  headers: Record<string, string>;
  /** Logs in again (after the walk logged the session out). */
  relogin?: () => Promise<void>;
}

let m: TestManager;
let callers: Caller[];
let workerAuth: Record<string, string>;

async function login(token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await requestFrom(UNTRUSTED, `${m.url}/api/tablao/session`, {
    method: "POST",
    body: { token },
  });
  expect(res.status).toBe(200);
  const cookie = String(res.headers["set-cookie"]?.[0] ?? "").split(";")[0] ?? "";
  return { cookie, csrf: res.json<{ csrf_token: string }>().csrf_token };
}

async function sessionCaller(role: Role, token: string, withoutCsrf: boolean): Promise<Caller> {
  const caller: Caller = { label: "", source: UNTRUSTED, role, withoutCsrf, headers: {} };
  caller.relogin = async () => {
    const { cookie, csrf } = await login(token);
    caller.headers = withoutCsrf ? { Cookie: cookie } : { Cookie: cookie, "X-CSRF-Token": csrf };
  };
  caller.label = `${role} session ${withoutCsrf ? "without" : "with"} CSRF header`;
  await caller.relogin();
  return caller;
}

beforeAll(async () => {
  // The Blender search runs `blender --version`: a stand-in answers at once where a real Blender
  // takes a second or more. The Manager reads PATH when it is created.
  const bin = freshDir();
  writeFileSync(join(bin, "blender"), '#!/bin/sh\necho "Blender 4.2.0 (stand-in)"\n', { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    m = await startTestManager({ web: true, config: { auth: { trusted_networks: TRUSTED_NETWORKS } } });
  } finally {
    process.env.PATH = path;
  }
  const reg = await requestFrom("127.0.0.1", `${m.url}/api/v3/worker/register-worker`, {
    method: "POST",
    body: { name: "matrix", secret: WORKER_SECRET, platform: "linux", supported_task_types: ["misc"] },
  });
  expect(reg.status).toBe(200);
  workerAuth = { Authorization: basicAuthHeader(reg.json<{ uuid: string }>().uuid, WORKER_SECRET) };

  callers = [{ label: "no credentials, untrusted address", source: UNTRUSTED, role: null, headers: {} }];
  for (const role of ROLES) {
    const { secret } = m.manager.access.tokens.create({ name: `matrix-${role}`, role, expiresAt: null });
    callers.push(
      {
        label: `${role} bearer token`,
        source: UNTRUSTED,
        role,
        headers: { Authorization: `Bearer ${secret}` },
      },
      await sessionCaller(role, secret, false),
      await sessionCaller(role, secret, true),
      { label: `${role} trusted network`, source: NETWORK_SOURCE[role], role, headers: {} },
    );
  }
});
afterAll(() => m.destroy());

/** The status a refused caller must get, or "allow". */
function expected(route: ServedRoute, caller: Caller): 401 | 403 | "allow" {
  switch (route.access) {
    case "public":
      return "allow";
    case "worker":
      return caller.workerAuth ? "allow" : 403;
    default:
      if (!caller.role) return 401;
      if (!roleIncludes(caller.role, route.access)) return 403;
      if (caller.withoutCsrf && !SAFE_METHODS.has(route.method)) return 403;
      return "allow";
  }
}

describe("every served route × every kind of caller", () => {
  test("callers get exactly what the route declares: refusals are 401/403, the rest pass", async () => {
    const routes = servedRoutes(m.manager);
    const mismatches: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (const route of routes) {
      // Worker routes: the worker's own credentials open them, nothing else does. Only a few
      // refusals per address, as failed worker authentications are throttled.
      const routeCallers: Caller[] =
        route.access === "worker"
          ? [
              {
                label: "worker basic auth",
                source: UNTRUSTED,
                role: null,
                workerAuth: true,
                headers: workerAuth,
              },
              ...callers.filter((c) => c.role === null || c.label === "admin trusted network"),
            ]
          : callers;
      // One route's callers at once.
      await Promise.all(
        routeCallers.map(async (caller) => {
          const url = `${m.url}${fill(route.path)}`;
          const res = await requestFrom(caller.source, url, {
            method: route.method,
            headers: caller.headers,
          });
          const want = expected(route, caller);
          const ok = want === "allow" ? res.status !== 401 && res.status !== 403 : res.status === want;
          if (want === "allow") allowed++;
          else refused++;
          if (!ok)
            mismatches.push(
              `${route.method} ${route.path} as ${caller.label}: ${res.status}, expected ${want}`,
            );
          if (route.path === "/api/tablao/session" && route.method === "DELETE") await caller.relogin?.();
        }),
      );
    }
    expect(mismatches).toEqual([]);
    // The walk covered the API, the extension routes, the files, the dashboard and /ws.
    const paths = new Set(routes.map((r) => r.path));
    for (const path of ["/api/v3/jobs", "/api/tablao/tokens", "/job-files/*", "/app/*", "/ws"]) {
      expect(paths.has(path)).toBe(true);
    }
    expect(allowed).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(300);
  }, 60_000);

  test("every route the app registered is in the walked list, with its access declared", () => {
    const served = servedRoutes(m.manager);
    const pattern = (path: string) =>
      new RegExp(
        `^${path
          .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
          .replace(/:\w+/g, "[^/]+")
          .replace(/\*/g, ".*")}$`,
      );
    const undeclared = m.manager.app.routes
      // Middleware installed for all methods (security headers, worker auth) is not a route.
      .filter((r) => r.method !== "ALL")
      .filter((r) => !served.some((s) => s.method === r.method && pattern(s.path).test(r.path)))
      .map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });
});
