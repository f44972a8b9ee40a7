// What a stranger on the network can do to a Manager, through a real server: the client
// connects from 127.0.0.2 while only 127.0.0.1 is trusted (as admin), so its peer address is
// genuinely untrusted. The operations that write the configuration or run programs on the
// Manager's machine, and the job files, stay shut without an admin token; with one they work.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Role } from "../../src/manager/auth/roles";
import { requestFrom, upgradeFrom, type RequestOptions } from "../manager/auth/http-from";
import { startTestManager, type TestManager } from "../support/manager";

const UNTRUSTED = "127.0.0.2";
const CONFIG = { auth: { trusted_networks: { "127.0.0.1/32": "admin" } } };

let m: TestManager;
const tokens = {} as Record<Role, string>;

/** A request from the untrusted address, with the token of `role` when given. */
function fromStranger(path: string, opts: RequestOptions & { role?: Role } = {}) {
  const headers = { ...opts.headers, ...(opts.role ? { Authorization: `Bearer ${tokens[opts.role]}` } : {}) };
  return requestFrom(UNTRUSTED, `${m.url}${path}`, { ...opts, headers });
}

beforeAll(async () => {
  m = await startTestManager({ config: CONFIG });
  // Made through the API by the Manager's own machine, the one trusted address.
  for (const role of ["viewer", "submitter", "operator", "admin"] as const) {
    const res = await requestFrom("127.0.0.1", `${m.url}/api/tablao/tokens`, {
      method: "POST",
      body: { name: `attack-${role}`, role },
    });
    expect(res.status).toBe(201);
    tokens[role] = res.json<{ token: string }>().token;
  }
});
afterAll(() => m.destroy());

const configFile = () => join(m.dir, "flamenco-manager.yaml");

/** The admin operations an attacker wants, each with a body that works for an admin. */
function adminOperations(): { name: string; path: string; opts: RequestOptions; allowed: number }[] {
  const storage = join(m.dir, "new-shared");
  mkdirSync(storage, { recursive: true });
  return [
    {
      name: "replace the configuration",
      path: "/api/v3/configuration/file",
      opts: { method: "PUT", body: { _meta: { version: 3 }, manager_name: "owned", ...CONFIG } },
      allowed: 204,
    },
    { name: "read the configuration", path: "/api/v3/configuration/file", opts: {}, allowed: 200 },
    {
      name: "run a program as Blender",
      path: "/api/v3/configuration/check/blender",
      opts: { method: "POST", body: { path: "/bin/true" } },
      allowed: 200,
    },
    { name: "search for Blender", path: "/api/v3/configuration/check/blender", opts: {}, allowed: 200 },
    {
      name: "probe paths as shared storage",
      path: "/api/v3/configuration/check/shared-storage",
      opts: { method: "POST", body: { path: storage } },
      allowed: 200,
    },
    {
      name: "save the setup assistant's choices",
      path: "/api/v3/configuration/setup-assistant",
      opts: {
        method: "POST",
        body: {
          storageLocation: storage,
          blenderExecutable: { input: "", path: "blender", source: "default", is_usable: true, cause: "" },
        },
      },
      allowed: 204,
    },
  ];
}

describe("from an untrusted address", () => {
  test("the admin operations are refused without a token (401) and with a lesser one (403)", async () => {
    const before = readFileSync(configFile(), "utf8");
    for (const op of adminOperations()) {
      const anonymous = await fromStranger(op.path, op.opts);
      expect({ op: op.name, status: anonymous.status }).toEqual({ op: op.name, status: 401 });
      expect(anonymous.json().message).toStartWith("authentication required: ");
      for (const role of ["viewer", "submitter", "operator"] as const) {
        const res = await fromStranger(op.path, { ...op.opts, role });
        expect({ op: op.name, role, status: res.status }).toEqual({ op: op.name, role, status: 403 });
        expect(res.json().message).toContain("the admin role is required");
      }
    }
    // Nothing reached the file.
    expect(readFileSync(configFile(), "utf8")).toBe(before);
  });

  test("with an admin token the same operations work", async () => {
    for (const op of adminOperations()) {
      const res = await fromStranger(op.path, { ...op.opts, role: "admin" });
      expect({ op: op.name, status: res.status }).toEqual({ op: op.name, status: op.allowed });
    }
    expect(readFileSync(configFile(), "utf8")).toContain("new-shared");
  });

  test("job files are shut without a role; with one, traversal still finds nothing outside storage", async () => {
    // A real file next to the storage folder, where the traversals below would land.
    writeFileSync(join(m.dir, "secret.txt"), "not for you");
    // `../` and `%2e%2e/` are resolved when the URL is parsed, before routing: no such route.
    for (const path of ["/job-files/../secret.txt", "/job-files/%2e%2e/secret.txt"]) {
      expect({ path, status: (await fromStranger(path, { role: "admin" })).status }).toEqual({
        path,
        status: 404,
      });
    }
    const attempts = [
      "/job-files/..%2fsecret.txt",
      "/job-files/..%5csecret.txt",
      "/job-files/x/..%252f..%252fsecret.txt",
    ];
    for (const path of attempts) {
      expect({ path, status: (await fromStranger(path)).status }).toEqual({ path, status: 401 });
      const admin = await fromStranger(path, { role: "admin" });
      expect({ path, status: admin.status }).toEqual({ path, status: 404 });
      expect(admin.text).not.toContain("not for you");
    }
    expect(existsSync(join(m.dir, "secret.txt"))).toBe(true);
  });

  test("the event stream refuses the upgrade without a role and accepts a viewer token", async () => {
    const ws = `${m.url}/ws`;
    const refused = await upgradeFrom(UNTRUSTED, ws);
    expect(refused.status).toBe(401);
    expect((JSON.parse(refused.text) as { message: string }).message).toStartWith(
      "authentication required: ",
    );
    expect((await upgradeFrom(UNTRUSTED, ws, { Authorization: `Bearer ${tokens.viewer}` })).status).toBe(101);
  });

  test("a made-up, malformed or revoked token is a 401, even on a public route", async () => {
    for (const authorization of ["Bearer tablao_made-up", "Bearer", "Bearer a b"]) {
      const res = await fromStranger("/api/v3/version", { headers: { Authorization: authorization } });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
    }
    const { secret } = m.manager.access.tokens.create({
      name: "short-lived",
      role: "admin",
      expiresAt: null,
    });
    const headers = { Authorization: `Bearer ${secret}` };
    expect((await fromStranger("/api/v3/jobs", { headers })).status).toBe(200);
    const row = m.manager.access.tokens.byName("short-lived")!;
    const revoked = await requestFrom("127.0.0.1", `${m.url}/api/tablao/tokens/${row.uuid}`, {
      method: "DELETE",
    });
    expect(revoked.status).toBe(204);
    const res = await fromStranger("/api/v3/jobs", { headers });
    expect(res.status).toBe(401);
    expect(res.json().message).toBe("authentication required: unknown or revoked token");
  });
});
