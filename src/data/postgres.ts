import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import type { Database, Db } from "./database.ts";
import { attachLiveSessionCache } from "./live_session_cache.ts";
import { NotifiedSessionCache } from "./notified_session_cache.ts";

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Opens a pool of `poolSize` connections to the PostgreSQL database at `url` (TLS as its `sslmode`
 * and `sslrootcert` say) behind Kysely's `PostgresDialect`, with the `pg` driver.
 *
 * Values come back as the SQLite side gives them: `bigint` (what `count(*)` and `sum()` return) and
 * `numeric` as JavaScript numbers rather than strings, so no caller converts per database. Every
 * value Vestibule stores fits well within 2^53.
 *
 * `liveSessions: true` gives the handle its live-session cache (`NotifiedSessionCache`, with a
 * connection of its own that listens for changes); it closes with the handle.
 *
 * Statements outside a transaction run as named prepared statements unless `preparedStatements`
 * is `false` (see `preparing`).
 */
export function openPostgres(
  url: string,
  poolSize: number,
  options: { liveSessions?: boolean; preparedStatements?: boolean } = {},
): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8 || oid === NUMERIC
          ? (value: string) =>
            Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops must not bring the process down: the pool replaces it.
  pool.on("error", () => {});
  const cache = options.liveSessions ? new NotifiedSessionCache(url) : undefined;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: {
        options: pool.options,
        connect: async () => {
          const client = await pool.connect();
          return options.preparedStatements === false ? client : preparing(client);
        },
        end: async () => {
          await cache?.close();
          await pool.end();
        },
      },
    }),
  });
  if (cache !== undefined) attachLiveSessionCache(db, cache);
  return db;
}

/** Distinct SQL texts that get a name; any further text runs unnamed, bounding every cache. */
const MAX_PREPARED = 500;
/** The name of each prepared SQL text, shared by every connection; `null`: never prepare it. */
const statementNames = new Map<string, string | null>();
/** The statements that open and close a transaction (not a savepoint's `rollback to`). */
const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|end|abort|rollback(?!\s+to\b))\b/i;
/** PostgreSQL's answer to a prepared statement whose table changed shape since it was prepared. */
const STALE_PLAN = /cached plan must not change result type/;

/**
 * The pool client with its statements prepared: outside a transaction, each SQL text runs as a
 * named prepared statement, parsed and planned once per connection and only bound and executed
 * after that. A PostgreSQL sign-in is four such statements: naming them cut the database server's
 * CPU per sign-in by 0.5–0.7 ms (two runs of six alternating 4-s windows of each build).
 *
 * - Inside a transaction (between `begin` and `commit` or `rollback`, as Kysely sends them)
 *   statements run unnamed, as before: a failed statement there would abort the transaction.
 * - A table that changed shape under a prepared statement (a migration by a newer instance during
 *   a rolling deploy) makes PostgreSQL refuse it once: the statement then runs again unnamed, and
 *   its text is never prepared again.
 * - A connection pooler must pass protocol-level prepared statements through (PgBouncer 1.21 or
 *   later with `max_prepared_statements` set); otherwise set `DATABASE_PREPARED_STATEMENTS=false`.
 */
function preparing(client: pg.PoolClient): pg.PoolClient {
  let inTransaction = false;
  const query = async (text: string, values?: unknown[]) => {
    if (TRANSACTION_START.test(text)) inTransaction = true;
    else if (TRANSACTION_END.test(text)) inTransaction = false;
    const name = inTransaction ? null : statementName(text);
    if (name === null) return await client.query(text, values);
    try {
      return await client.query({ name, text, values });
    } catch (error) {
      if (!STALE_PLAN.test((error as Error).message)) throw error;
      statementNames.set(text, null);
      return await client.query(text, values);
    }
  };
  return new Proxy(client, {
    get: (target, property, receiver) =>
      property === "query"
        ? (text: unknown, values?: unknown[]) =>
          typeof text === "string" ? query(text, values) : target.query(text as never)
        : Reflect.get(target, property, receiver),
  });
}

function statementName(text: string): string | null {
  const name = statementNames.get(text);
  if (name !== undefined) return name;
  if (statementNames.size >= MAX_PREPARED) return null;
  const fresh = `vestibule_${statementNames.size + 1}`;
  statementNames.set(text, fresh);
  return fresh;
}
