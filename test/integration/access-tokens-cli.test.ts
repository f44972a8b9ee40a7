// `bun run server -- token ...` as a user runs it (a real process on the Manager's database)
// while the Manager serves: the printed token opens the API at once, list shows no secret,
// revoke shuts it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { requestFrom } from "../manager/auth/http-from";
import { startTestManager, type TestManager } from "../support/manager";
import { REPO_ROOT, runServerCommand } from "../support/processes";

const UNTRUSTED = "127.0.0.2";

let m: TestManager;
beforeAll(async () => {
  m = await startTestManager({ config: { auth: { trusted_networks: { "127.0.0.1/32": "admin" } } } });
});
afterAll(() => m.destroy());

const tokenCommand = (...args: string[]) =>
  runServerCommand(["--config", join(m.dir, "flamenco-manager.yaml"), "token", ...args], REPO_ROOT);

/** Each command is a fresh process (a second or more on a busy machine); the default 5 s is too tight. */
const CLI_TEST_TIMEOUT_MS = 60_000;

const jobsWith = (token: string) =>
  requestFrom(UNTRUSTED, `${m.url}/api/v3/jobs`, { headers: { Authorization: `Bearer ${token}` } });

describe("token command", () => {
  test(
    "create prints the token once; it opens what its role allows on the running Manager",
    async () => {
      const created = await tokenCommand(
        "create",
        "--name",
        "ci-bot",
        "--role",
        "submitter",
        "--expires",
        "30d",
      );
      expect(created.code).toBe(0);
      const token = created.stdout.trim();
      expect(token).toMatch(/^tablao_[\w-]{43}$/);
      expect(created.stderr).toContain("created token ci-bot with the submitter role, expiring ");
      expect(created.stderr).not.toContain(token);

      expect((await jobsWith(token)).status).toBe(200);
      const config = await requestFrom(UNTRUSTED, `${m.url}/api/v3/configuration/file`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(config.status).toBe(403);
      const row = m.manager.access.tokens.byName("ci-bot")!;
      const days = (row.expiresAt!.getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);

      const listed = await tokenCommand("list");
      expect(listed.code).toBe(0);
      const lines = listed.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^NAME\s+ROLE\s+CREATED\s+LAST USED\s+EXPIRES$/);
      const line = lines.find((l) => l.startsWith("ci-bot "));
      expect(line).toMatch(/^ci-bot\s+submitter\s+\S+Z\s+\S+Z\s+\S+Z$/);
      expect(listed.stdout).not.toContain(token);

      const revoked = await tokenCommand("revoke", "ci-bot");
      expect(revoked.code).toBe(0);
      expect((await jobsWith(token)).status).toBe(401);
      expect(m.manager.access.tokens.byName("ci-bot")).toBeUndefined();
    },
    CLI_TEST_TIMEOUT_MS,
  );

  test(
    "mistakes are refused with the reason and a non-zero exit",
    async () => {
      expect((await tokenCommand("create", "--name", "twice", "--role", "viewer")).code).toBe(0);
      const duplicate = await tokenCommand("create", "--name", "twice", "--role", "viewer");
      expect(duplicate.code).toBe(1);
      expect(duplicate.stderr).toContain('a token named "twice" exists already');
      expect(duplicate.stdout).toBe("");

      const badRole = await tokenCommand("create", "--name", "x", "--role", "root");
      expect(badRole.code).toBe(2);
      expect(badRole.stderr).toContain("--role, one of viewer, submitter, operator, admin");
      const badExpiry = await tokenCommand("create", "--name", "x", "--role", "viewer", "--expires", "soon");
      expect(badExpiry.code).toBe(1);
      expect(badExpiry.stderr).toContain('invalid duration "soon"');

      const unknown = await tokenCommand("revoke", "nobody");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no token named "nobody"');
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
