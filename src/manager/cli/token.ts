// `bun run server -- token ...`: API tokens from the command line (create, list, revoke), on
// the Manager's database directly, so the first admin token needs no running Manager and no
// network trust. A running Manager sees the change at once (SQLite in WAL mode).
import { parseArgs } from "node:util";
import { systemClock } from "../../shared/clock";
import { createTokenStore, type TokenStore } from "../auth/tokens";
import { ROLES, isRole } from "../auth/roles";
import { DurationError, parseDuration, type ManagerConfig } from "../config";
import { openDatabase } from "../db/open";
import { ApiError } from "../errors";

const USAGE = `Usage: npm run server -- [--config FILE] token COMMAND

  token create --name NAME --role ROLE [--expires DURATION]
      make a token and print it (only this once); ROLE is one of ${ROLES.join(", ")};
      DURATION like 30d, 720h or 1h30m (default: never expires)
  token list
      list the tokens (never their secrets)
  token revoke NAME
      revoke a token and end its dashboard sessions`;

const MS_PER_DAY = 24 * 60 * 60_000;

class UsageError extends Error {}

/** `30d`, a Go duration (`720h`, `1h30m`), or days followed by one (`1d12h`). */
function parseExpiry(text: string): number {
  const days = /^(\d+)d(.*)$/.exec(text);
  const ms = days
    ? Number(days[1]) * MS_PER_DAY + (days[2] ? parseDuration(days[2]) : 0)
    : parseDuration(text);
  if (!(ms > 0)) throw new UsageError(`--expires must be longer than zero, got ${JSON.stringify(text)}`);
  return ms;
}

function create(store: TokenStore, args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { name: { type: "string" }, role: { type: "string" }, expires: { type: "string" } },
  });
  if (!values.name) throw new UsageError("token create needs --name NAME");
  if (!isRole(values.role)) throw new UsageError(`token create needs --role, one of ${ROLES.join(", ")}`);
  const expiresAt = values.expires
    ? new Date(systemClock.now().getTime() + parseExpiry(values.expires))
    : null;
  const { row, secret } = store.create({ name: values.name, role: values.role, expiresAt });
  console.error(
    `created token ${row.name} with the ${values.role} role` +
      (expiresAt ? `, expiring ${expiresAt.toISOString()}` : "") +
      "; it is shown only this once:",
  );
  console.log(secret);
  return 0;
}

function list(store: TokenStore, args: string[]): number {
  if (args.length > 0) throw new UsageError("token list takes no arguments");
  const when = (d: Date | null) => d?.toISOString() ?? "-";
  const rows = store
    .list()
    .map((t) => [
      t.name,
      t.role,
      when(t.createdAt),
      when(t.lastUsedAt),
      t.expiresAt ? when(t.expiresAt) : "never",
    ]);
  const header = ["NAME", "ROLE", "CREATED", "LAST USED", "EXPIRES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  }
  return 0;
}

function revoke(store: TokenStore, args: string[]): number {
  const [name, ...rest] = args;
  if (!name || rest.length > 0) throw new UsageError("token revoke takes one token NAME");
  const row = store.byName(name);
  if (!row) {
    console.error(`no token named ${JSON.stringify(name)}`);
    return 1;
  }
  store.revoke(row);
  console.error(`revoked token ${row.name}`);
  return 0;
}

const COMMANDS: Record<string, (store: TokenStore, args: string[]) => number> = { create, list, revoke };

export function runTokenCommand(args: string[], config: ManagerConfig): Promise<number> {
  const [name, ...rest] = args;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    console.error(
      `${name === undefined ? "missing" : `unknown`} token command${name ? ` ${JSON.stringify(name)}` : ""}\n\n${USAGE}`,
    );
    return Promise.resolve(2);
  }
  const database = openDatabase(config.databasePath);
  try {
    return Promise.resolve(command(createTokenStore({ db: database.db, clock: systemClock }), rest));
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err)) {
      console.error(`${err.message}\n\n${USAGE}`);
      return Promise.resolve(2);
    }
    if (err instanceof ApiError || err instanceof DurationError) {
      console.error(err.message);
      return Promise.resolve(1);
    }
    throw err;
  } finally {
    database.close();
  }
}
