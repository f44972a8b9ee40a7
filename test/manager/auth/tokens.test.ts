// API tokens and dashboard sessions on a real (in-memory) database with a fake clock
// (src/manager/auth/tokens.ts, sessions.ts): what is stored, when a secret stops working, and
// how often a use is written down.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { createSessionStore, type SessionStore } from "../../../src/manager/auth/sessions";
import { USAGE_STAMP_INTERVAL_MS, createTokenStore, type TokenStore } from "../../../src/manager/auth/tokens";
import { apiSessions, apiTokens } from "../../../src/manager/db/schema";
import { ApiError } from "../../../src/manager/errors";
import { createTestFarm, type TestFarm } from "../../support/builders";
import { thrownBy } from "../../support/thrown";

let farm: TestFarm;
let tokens: TokenStore;
let sessions: SessionStore;
beforeEach(() => {
  farm = createTestFarm();
  tokens = createTokenStore(farm);
  sessions = createSessionStore({ ...farm, tokens });
});
afterEach(() => farm.close());

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("tokens", () => {
  test("only the SHA-256 of the secret is stored; the secret opens the token, nothing else does", () => {
    const { row, secret } = tokens.create({ name: "ci", role: "submitter", expiresAt: null });
    const stored = farm.db.orm.select().from(apiTokens).all();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.secretHash).toBe(sha256(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);

    const check = tokens.check(secret);
    expect(check.ok && [check.token.row.id, check.token.role]).toEqual([row.id, "submitter"]);
    expect(tokens.check(`${secret}x`)).toEqual({ ok: false, reason: "unknown or revoked token" });
    expect(tokens.check(sha256(secret))).toEqual({ ok: false, reason: "unknown or revoked token" });
  });

  test("a token stops working when it expires and when it is revoked", () => {
    const now = farm.clock.now().getTime();
    const { secret } = tokens.create({ name: "temp", role: "viewer", expiresAt: new Date(now + 60_000) });
    expect(tokens.check(secret).ok).toBe(true);
    farm.clock.advance(60_000);
    expect(tokens.check(secret)).toEqual({
      ok: false,
      reason: `token temp expired at ${new Date(now + 60_000).toISOString()}`,
    });

    const kept = tokens.create({ name: "kept", role: "viewer", expiresAt: null });
    tokens.revoke(kept.row);
    expect(tokens.check(kept.secret).ok).toBe(false);
    expect(tokens.byName("kept")).toBeUndefined();
  });

  test("the last use is written at most once a minute", () => {
    const { row, secret } = tokens.create({ name: "busy", role: "viewer", expiresAt: null });
    const lastUsed = () => tokens.byUUID(row.uuid)?.lastUsedAt?.getTime() ?? null;
    expect(lastUsed()).toBeNull();
    tokens.check(secret);
    const first = farm.clock.now().getTime();
    expect(lastUsed()).toBe(first);
    farm.clock.advance(USAGE_STAMP_INTERVAL_MS - 1);
    tokens.check(secret);
    expect(lastUsed()).toBe(first);
    farm.clock.advance(1);
    tokens.check(secret);
    expect(lastUsed()).toBe(first + USAGE_STAMP_INTERVAL_MS);
  });

  test("names are unique and plain; an expiry must lie ahead", () => {
    tokens.create({ name: "ci", role: "viewer", expiresAt: null });
    expect(
      thrownBy(ApiError, () => tokens.create({ name: "ci", role: "admin", expiresAt: null })).status,
    ).toBe(409);
    for (const name of ["", "two words", "line\nbreak", "-leading", "x".repeat(65)]) {
      const err = thrownBy(ApiError, () => tokens.create({ name, role: "viewer", expiresAt: null }));
      expect({ name, status: err.status }).toEqual({ name, status: 400 });
    }
    const past = thrownBy(ApiError, () =>
      tokens.create({ name: "late", role: "viewer", expiresAt: farm.clock.now() }),
    );
    expect(past.status).toBe(400);
    expect(tokens.list().map((t) => t.name)).toEqual(["ci"]);
  });
});

describe("sessions", () => {
  function loggedIn(name = "user") {
    const { secret } = tokens.create({ name, role: "operator", expiresAt: null });
    const check = tokens.check(secret);
    if (!check.ok) throw new Error(check.reason);
    return sessions.login(check.token);
  }

  test("a session is stored hashed, with its own CSRF token, and resolves to its token's role", () => {
    const { session, secret } = loggedIn();
    const stored = farm.db.orm.select().from(apiSessions).all();
    expect(stored.map((s) => s.secretHash)).toEqual([sha256(secret)]);
    expect(session.row.csrfToken).not.toBe(secret);
    const resolved = sessions.resolve(secret);
    expect([resolved?.token.role, resolved?.token.row.name, resolved?.row.csrfToken]).toEqual([
      "operator",
      "user",
      session.row.csrfToken,
    ]);
    expect(sessions.resolve(`${secret}x`)).toBeNull();
  });

  test("a session's last sight is written at most once a minute", () => {
    const { session, secret } = loggedIn();
    const lastSeen = () => farm.db.orm.select().from(apiSessions).get()?.lastSeenAt.getTime() ?? null;
    const login = session.row.lastSeenAt.getTime();
    farm.clock.advance(USAGE_STAMP_INTERVAL_MS - 1);
    expect(sessions.resolve(secret)).not.toBeNull();
    expect(lastSeen()).toBe(login);
    farm.clock.advance(1);
    expect(sessions.resolve(secret)).not.toBeNull();
    expect(lastSeen()).toBe(login + USAGE_STAMP_INTERVAL_MS);
  });

  test("revoking the token deletes its sessions; logging out deletes one", () => {
    const a = loggedIn("a");
    const a2 = sessions.login(a.session.token);
    const b = loggedIn("b");
    tokens.revoke(a.session.token.row);
    expect(sessions.resolve(a.secret)).toBeNull();
    expect(sessions.resolve(a2.secret)).toBeNull();
    expect(sessions.resolve(b.secret)).not.toBeNull();
    sessions.logout(b.session);
    expect(sessions.resolve(b.secret)).toBeNull();
    expect(farm.db.orm.select().from(apiSessions).all()).toEqual([]);
  });
});
