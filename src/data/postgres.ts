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
 */
export function openPostgres(
  url: string,
  poolSize: number,
  options: { liveSessions?: boolean } = {},
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
        connect: () => pool.connect(),
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
