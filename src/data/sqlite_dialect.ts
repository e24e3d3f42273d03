import type { DatabaseSync, StatementSync } from "node:sqlite";
import { SqliteDialect } from "kysely";
import type { SqliteDatabase, SqliteStatement } from "kysely";

type Param = null | number | bigint | string | Uint8Array;

/**
 * Wraps Deno's built-in `node:sqlite` so Kysely's `SqliteDialect` can drive it.
 *
 * better-sqlite3 cannot load under Deno (legacy addon ABI); `node:sqlite` has the same synchronous
 * shape, so this adapter mostly renames things. Prepared statements are cached by SQL text,
 * which turns the repeated queries of the hot path into a lookup instead of a compile.
 *
 * Transactions start with `BEGIN IMMEDIATE` where Kysely says `begin`: a transaction takes the
 * write lock when it starts, so another connection (the `CommitThread`, the purge, the CLI)
 * committing between its first read and its first write cannot fail it with `SQLITE_BUSY`; it
 * waits for that commit instead (busy timeout), and it reads what it will write over.
 */
export function nodeSqliteDialect(db: DatabaseSync, cacheSize = 256): SqliteDialect {
  return new SqliteDialect({ database: adaptDatabase(db, cacheSize) });
}

function adaptDatabase(db: DatabaseSync, cacheSize: number): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      if (sql === "begin") sql = "begin immediate";
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = adaptStatement(db.prepare(sql));
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

function adaptStatement(statement: StatementSync): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...(parameters as Param[])),
    run: (parameters) => {
      const { changes, lastInsertRowid } = statement.run(...(parameters as Param[]));
      return { changes, lastInsertRowid };
    },
    iterate: (parameters) => statement.iterate(...(parameters as Param[])),
  };
}
