import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import type { Database, Db } from "./database.ts";

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Opens a pool of `poolSize` connections to the PostgreSQL database at `url` (TLS as its `sslmode`
 * and `sslrootcert` say) behind Kysely's `PostgresDialect`, with the `pg` driver.
 *
 * Values come back as the SQLite side gives them: `bigint` (what `count(*)` and `sum()` return) and
 * `numeric` as JavaScript numbers rather than strings, so no caller converts per database. Every
 * value Vestibule stores fits well within 2^53.
 */
export function openPostgres(url: string, poolSize: number): Db {
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
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
