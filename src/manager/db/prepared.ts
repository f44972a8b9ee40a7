// Statements prepared once per database connection and reused by every caller: building and
// preparing a statement costs more than running most of ours. The synchronous SQLite drivers
// have one connection, so a prepared statement runs in whatever transaction it has open.
import { sql, type Query, type SQL } from "drizzle-orm";
import type { DbOrTx } from "./types";

/** What Drizzle keeps internal on a handle; a transaction handle shares its database's session. */
interface HandleInternals {
  dialect: { sqlToQuery(query: SQL): Query };
  session: {
    prepareQuery(
      query: Query,
      fields: undefined,
      executeMethod: "all",
      isResponseInArrayMode: false,
    ): { all(values?: Record<string, unknown>): unknown[] };
  };
}

const internals = (handle: DbOrTx) => handle as unknown as HandleInternals;

/**
 * Wraps `build` so that it runs once per connection: a database handle and every transaction
 * opened on it get the same result. Use it for objects holding prepared statements.
 */
export function perConnection<T>(build: (handle: DbOrTx) => T): (handle: DbOrTx) => T {
  const built = new WeakMap<object, T>();
  return (handle) => {
    const { session } = internals(handle);
    let value = built.get(session);
    if (value === undefined) {
      value = build(handle);
      built.set(session, value);
    }
    return value;
  };
}

export interface PreparedSql<Row> {
  /** Binds `sql.placeholder(name)` values by name; rows come back as plain objects. */
  all(values?: Record<string, unknown>): Row[];
}

/** Prepares a raw `sql` template (Drizzle prepares only its query builders). */
export function prepareSql<Row>(handle: DbOrTx, query: SQL): PreparedSql<Row> {
  const { dialect, session } = internals(handle);
  const prepared = session.prepareQuery(dialect.sqlToQuery(query), undefined, "all", false);
  return { all: (values) => prepared.all(values) as Row[] };
}

/**
 * A named placeholder whose value the query planner cannot look at. SQLite re-plans a statement
 * at every new binding when its plan may depend on a bound value, and bun:sqlite binds anew at
 * every call: for a join or an ORDER BY that costs about as much as preparing the statement
 * again (on the hot task lookups, 8 µs instead of 3). A value behind a scalar subquery is planned
 * once, as an unknown constant, and still drives index seeks.
 */
export function opaquePlaceholder(name: string): SQL {
  return sql`(SELECT ${sql.placeholder(name)})`;
}
