// The dashboard's access control in a real Chromium against a real Manager (SQLite file,
// Bun.serve, /ws) that trusts no network, so every browser has to sign in: the login page,
// tokens made with the Manager's own CLI, the session cookie and its CSRF token, what each role
// is offered, signing out, a session ended elsewhere, and the admin's Tokens page.
//
// Every test stands alone: its own Manager, and its own browser context (so no cookie of one
// test reaches the next). Run any one with `-t "<name>"`, in any order.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page, WebSocketRoute } from "playwright-core";
import { TOKEN_PREFIX } from "../../src/manager/auth/secrets";
import {
  STEP_TIMEOUT_MS,
  UI_TIMEOUT_MS,
  closeBrowserWorld,
  openBrowserWorld,
  shows,
  submitEchoJob,
  useChromium,
  type BrowserWorld,
} from "../support/browser";
import { createTokenWithCli } from "../support/processes";

/** An empty list of trusted networks: not even loopback gets a role without a token. */
const NOBODY_TRUSTED = { auth: { trusted_networks: {} } };
const SESSION_COOKIE = "tablao_session";
const DAY_MS = 24 * 60 * 60 * 1000;

const browser = useChromium();

/** One test's world, with what it learns of the page's live connection. */
interface World extends BrowserWorld {
  /** WebSockets the page opened (attempts, refused ones included). */
  sockets: number;
  /** Console errors this test causes on purpose (a refused token shows as a failed load). */
  expectedErrors: RegExp[];
  /** Closes the page's live connection under it, as a network blip would. */
  dropLiveConnection(): Promise<void>;
}

let current: World | null = null;

async function openWorld(): Promise<World> {
  if (current) throw new Error("a world is already open in this test");
  const base = await openBrowserWorld(browser(), { config: NOBODY_TRUSTED });
  // The live connection passes through the test, which can cut it.
  let live: WebSocketRoute | null = null;
  await base.page.routeWebSocket(/\/ws$/, (pageSide) => {
    pageSide.connectToServer();
    live = pageSide;
  });
  const world: World = {
    ...base,
    sockets: 0,
    expectedErrors: [],
    dropLiveConnection: async () => live?.close({ code: 4000, reason: "dropped by the test" }),
  };
  base.page.on("websocket", () => world.sockets++);
  current = world;
  return world;
}

/** `token create` of the Manager's CLI, on the test Manager's configuration and database; returns the secret. */
const cliToken = (w: World, name: string, role: string) =>
  createTokenWithCli(join(w.manager.dir, "flamenco-manager.yaml"), name, role);

async function api(
  w: World,
  method: string,
  path: string,
  opts: { token?: string; cookie?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = `${SESSION_COOKIE}=${opts.cookie}`;
  return fetch(`${w.manager.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
}

/** Revokes the named token through the API, as an admin elsewhere would; its sessions end with it. */
async function revokeToken(w: World, admin: string, name: string): Promise<void> {
  const res = await api(w, "GET", "/api/tablao/tokens", { token: admin });
  const { tokens } = (await res.json()) as { tokens: { id: string; name: string }[] };
  const id = tokens.find((t) => t.name === name)?.id;
  expect(id).toBeDefined();
  expect((await api(w, "DELETE", `/api/tablao/tokens/${id}`, { token: admin })).status).toBe(204);
}

async function jobStatus(w: World, token: string, jobId: string): Promise<string> {
  const res = await api(w, "GET", `/api/v3/jobs/${jobId}`, { token });
  return ((await res.json()) as { status: string }).status;
}

const loginForm = (page: Page) => page.locator("form.login-form");
const jobRow = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"]`);
const who = (page: Page) => page.locator("header .who");

/** Loads the app, which has to show the login page: this browser holds no session yet. */
async function visitSignedOut(w: World, path = "/app/"): Promise<void> {
  await w.page.goto(`${w.manager.url}${path}`);
  await loginForm(w.page).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** Signs in on the login page and waits until the app is live. */
async function signIn(w: World, token: string): Promise<void> {
  await loginForm(w.page).locator('input[name="token"]').fill(token);
  await loginForm(w.page).locator("button", { hasText: "Sign in" }).click();
  await w.page.locator('.connection[data-state="open"]').waitFor({ timeout: UI_TIMEOUT_MS });
}

async function sessionCookie(w: World): Promise<string | undefined> {
  return (await w.context.cookies()).find((c) => c.name === SESSION_COOKIE)?.value;
}

afterEach(async () => {
  const w = current;
  if (!w) return;
  current = null;
  await closeBrowserWorld(w);
  // Every test also proves the console showed no error but the ones it caused on purpose.
  expect(w.consoleErrors.filter((e) => !w.expectedErrors.some((re) => re.test(e)))).toEqual([]);
}, STEP_TIMEOUT_MS);

describe("dashboard access: signing in and out", () => {
  test(
    "a browser nobody trusts signs in with a token, goes live, and signing out ends the session",
    async () => {
      const w = await openWorld();
      const { page } = w;
      // The refused token shows in the console as a failed load; nothing else may.
      w.expectedErrors.push(/status of 401 .*\/api\/tablao\/session/);
      expect((await api(w, "GET", "/api/v3/jobs")).status).toBe(401);

      await visitSignedOut(w);
      expect(await page.locator("nav.nav").count()).toBe(0);

      await loginForm(page).locator('input[name="token"]').fill(`${TOKEN_PREFIX}not-a-real-token`);
      await loginForm(page).locator("button", { hasText: "Sign in" }).click();
      await shows(loginForm(page).locator(".error"), /^Sign-in failed: .+/);
      expect(await sessionCookie(w)).toBeUndefined();

      const admin = await cliToken(w, "ana", "admin");
      await signIn(w, admin);
      await shows(who(page).locator(".who-name"), "ana");
      expect(await who(page).getAttribute("data-role")).toBe("admin");
      expect(await who(page).getAttribute("data-via")).toBe("session");
      expect(w.sockets).toBe(1);

      // The page loaded before this job existed: only the live connection can bring it.
      const jobId = await submitEchoJob(w.manager.url, "access-live", { token: admin });
      await shows(jobRow(page, jobId), "access-live");
      expect(w.sockets).toBe(1);

      const cookie = (await w.context.cookies()).find((c) => c.name === SESSION_COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
      const { csrf_token } = (await (
        await api(w, "GET", "/api/tablao/session", { cookie: cookie!.value })
      ).json()) as { csrf_token?: string };
      expect(csrf_token).toBeTruthy();

      // A change made in the UI is a cookie-authenticated POST: it works only with the CSRF
      // token the dashboard adds, which a forged request from elsewhere lacks.
      const forged = await api(w, "POST", `/api/v3/jobs/${jobId}/setpriority`, {
        cookie: cookie!.value,
        body: { priority: 10 },
      });
      expect(forged.status).toBe(403);
      await jobRow(page, jobId).locator("a").click();
      const details = page.locator("section.job-details");
      await details.locator('input[aria-label="Priority"]').fill("70");
      await details.locator("button", { hasText: "Set priority" }).click();
      await shows(jobRow(page, jobId).locator("td:nth-child(5)"), /^70$/);
      const job = (await (await api(w, "GET", `/api/v3/jobs/${jobId}`, { token: admin })).json()) as {
        priority: number;
      };
      expect(job.priority).toBe(70);

      await who(page).locator("button", { hasText: "Sign out" }).click();
      await shows(loginForm(page).locator(".notice"), "You have signed out.");
      expect(await sessionCookie(w)).toBeUndefined();
      expect((await api(w, "GET", "/api/v3/jobs", { cookie: cookie!.value })).status).toBe(401);
      expect(
        await (await api(w, "GET", "/api/tablao/session", { cookie: cookie!.value })).json(),
      ).toMatchObject({ role: null });
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "a call refused because the session was revoked brings back the login page with a message",
    async () => {
      const w = await openWorld();
      const { page } = w;
      // Every call of the revoked session is refused: the action, and the job pane's reads when
      // the ended live connection makes the page fetch its data again.
      w.expectedErrors.push(/status of 401 \(Unauthorized\)/);
      const admin = await cliToken(w, "root", "admin");
      const ana = await cliToken(w, "ana", "operator");
      const jobId = await submitEchoJob(w.manager.url, "access-revoked", { token: admin });
      await visitSignedOut(w, `/app/jobs/${jobId}`);
      await signIn(w, ana);
      await shows(page.locator("section.job-details h2"), "access-revoked");

      await revokeToken(w, admin, "ana");
      // Her next action is refused, and the page says why instead of failing in place. The
      // revocation also closes her live connection, whose refetch may meet the 401 before the
      // click does: either way the login page comes back, and the job is not paused. So the
      // button is clicked once if it is still there, never waited for: a click still retrying
      // would land on the same button after the admin signs in below.
      await page.evaluate(() => {
        const buttons = [
          ...document.querySelectorAll<HTMLButtonElement>("section.job-details .toolbar button"),
        ];
        buttons.find((b) => b.textContent === "Pause")?.click();
      });
      await shows(loginForm(page).locator(".notice"), "Your session has ended");
      expect(await page.locator(".shell").count()).toBe(0);
      expect(await jobStatus(w, admin, jobId)).toBe("queued");

      // Signing in again starts the app afresh, on the page the user was on.
      await signIn(w, admin);
      await shows(page.locator("section.job-details h2"), "access-revoked");
      await shows(who(page).locator(".who-name"), "root");
    },
    STEP_TIMEOUT_MS,
  );

  test(
    "a refused live connection brings back the login page, without a reconnect storm",
    async () => {
      const w = await openWorld();
      const { page } = w;
      // A browser reports a refused upgrade as a failed connection, and the reload after a drop
      // may meet the ended session first (401); those are expected.
      w.expectedErrors.push(/WebSocket connection to .*\/ws' failed/, /status of 401 \(Unauthorized\)/);
      const admin = await cliToken(w, "root", "admin");
      const ana = await cliToken(w, "ana", "viewer");
      await visitSignedOut(w);
      await signIn(w, ana);
      expect(w.sockets).toBe(1);

      // The session ends while the page only listens; then its connection drops (a restart, a
      // network blip), and reconnecting is refused.
      await revokeToken(w, admin, "ana");
      await w.dropLiveConnection();
      await shows(loginForm(page).locator(".notice"), "Your session has ended");
      // The reload after the drop (a 401) or one refused reconnect tells the page enough; at most
      // two reconnects if the machine is slow to answer them.
      const attempts = w.sockets;
      expect(attempts).toBeLessThanOrEqual(3);

      // The old app stopped retrying behind the form: signing in again adds just its own connection.
      await signIn(w, admin);
      expect(w.sockets).toBe(attempts + 1);
    },
    STEP_TIMEOUT_MS,
  );
});

describe("dashboard access: roles", () => {
  test(
    "a viewer sees jobs and tasks without the controls that change them, and no Tokens page",
    async () => {
      const w = await openWorld();
      const { page } = w;
      const admin = await cliToken(w, "root", "admin");
      const viewer = await cliToken(w, "guest", "viewer");
      const jobId = await submitEchoJob(w.manager.url, "access-viewer", { token: admin });
      await visitSignedOut(w);
      await signIn(w, viewer);
      expect(await who(page).getAttribute("data-role")).toBe("viewer");

      const row = jobRow(page, jobId);
      await shows(row, "access-viewer");
      expect(await row.locator('input[type="checkbox"]').count()).toBe(0);
      expect(await page.locator(".jobs-table .toolbar").count()).toBe(0);

      await row.locator("a").click();
      const details = page.locator("section.job-details");
      await shows(details.locator("h2"), "access-viewer");
      expect(await details.locator("button", { hasText: /^(Cancel|Pause|Requeue|Delete)$/ }).count()).toBe(0);
      const priority = details.locator('input[aria-label="Priority"]');
      expect(await priority.isDisabled()).toBe(true);
      expect(await details.locator("fieldset.permitted").first().getAttribute("title")).toBe(
        "Needs the operator role",
      );

      await page.locator("section.tasks tbody tr").first().locator("a").first().click();
      await page.locator("section.task-details h3").waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await page.locator("section.task-details button").count()).toBe(0);

      // What the page leaves out, the Manager refuses too.
      const change = await api(w, "POST", `/api/v3/jobs/${jobId}/setstatus`, {
        token: viewer,
        body: { status: "pause-requested", reason: "test" },
      });
      expect(change.status).toBe(403);

      expect(await page.locator("nav.nav a", { hasText: "Tokens" }).count()).toBe(0);
      await page.goto(`${w.manager.url}/app/tokens`);
      await shows(page.locator(".tokens-view"), "Needs the admin role");
      expect(await page.locator(".tokens-view table").count()).toBe(0);
    },
    STEP_TIMEOUT_MS,
  );
});

describe("dashboard access: the Tokens page", () => {
  test(
    "an admin creates a token, sees its secret once, and revokes it",
    async () => {
      const w = await openWorld();
      const { page } = w;
      await w.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: w.manager.url });
      const admin = await cliToken(w, "root", "admin");
      await visitSignedOut(w);
      await signIn(w, admin);

      await page.locator("nav.nav a", { hasText: "Tokens" }).click();
      const view = page.locator(".tokens-view");
      await shows(view.locator("tbody tr"), "root");

      const form = view.locator("form.new-token-form");
      await form.locator('input[aria-label="Token name"]').fill("render-bot");
      await form.locator("label", { hasText: "Role" }).locator("select").selectOption("submitter");
      await form
        .locator("label", { hasText: "Expires" })
        .locator("select")
        .selectOption({ label: "in 7 days" });
      await form.locator("button", { hasText: "Create token" }).click();

      const notice = view.locator("section.new-token");
      await shows(notice, "shown only this once");
      const secret = await notice.locator("input.token-secret").inputValue();
      expect(secret).toStartWith(TOKEN_PREFIX);
      await notice.locator("button", { hasText: "Copy" }).click();
      await shows(notice, "Copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

      const row = view.locator("tbody tr", { hasText: "render-bot" });
      await shows(row, "submitter");
      const { tokens } = (await (await api(w, "GET", "/api/tablao/tokens", { token: admin })).json()) as {
        tokens: { name: string; role: string; expires_at: string | null }[];
      };
      const made = tokens.find((t) => t.name === "render-bot")!;
      expect(made.role).toBe("submitter");
      expect(Math.abs(Date.parse(made.expires_at!) - (Date.now() + 7 * DAY_MS))).toBeLessThan(DAY_MS);
      expect((await api(w, "GET", "/api/v3/jobs", { token: secret })).status).toBe(200);

      // Once dismissed, the secret is nowhere on the page, nor after a reload.
      await notice.locator("button", { hasText: "Done" }).click();
      await notice.waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
      expect(await page.content()).not.toContain(secret);
      await page.reload();
      await shows(row, "submitter");
      expect(await page.content()).not.toContain(secret);

      const revoke = row.locator("button", { hasText: "Revoke" });
      await revoke.click();
      await shows(row.locator("button"), "Really revoke?");
      await row.locator("button", { hasText: "Really revoke?" }).click();
      await row.waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
      expect((await api(w, "GET", "/api/v3/jobs", { token: secret })).status).toBe(401);
      await shows(view.locator("tbody tr"), "root");
    },
    STEP_TIMEOUT_MS,
  );
});
