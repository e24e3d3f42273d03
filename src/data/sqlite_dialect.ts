import type { DatabaseSync, StatementSync } from "node:sqlite";
import { CompiledQuery, SqliteDialect, SqliteDriver } from "kysely";
import type {
  DatabaseConnection,
  Driver,
  SqliteDatabase,
  SqliteDialectConfig,
  SqliteStatement,
  TransactionSettings,
} from "kysely";

type Param = null | number | bigint | string | Uint8Array;

/**
 * Wraps Deno's built-in `node:sqlite` so Kysely's `SqliteDialect` can drive it.
 *
 * better-sqlite3 cannot load under Deno (legacy addon ABI); `node:sqlite` has the same synchronous
 * shape, so this adapter mostly renames things. Prepared statements are cached by SQL text,
 * which turns the repeated queries of the hot path into a lookup instead of a compile.
 *
 * A write transaction (any transaction not marked read only) starts with `BEGIN IMMEDIATE`: it
 * takes the write lock when it starts, so another connection (the `CommitThread`, the purge, the
 * CLI) committing between its first read and its first write cannot fail it with `SQLITE_BUSY`; it
 * waits for that commit instead (busy timeout), and it reads what it will write over. A read-only
 * transaction starts with a plain `BEGIN`: one snapshot, no lock, and `query_only` refuses writes.
 */
export function nodeSqliteDialect(db: DatabaseSync, cacheSize = 256): SqliteDialect {
  return new NodeSqliteDialect({ database: adaptDatabase(db, cacheSize) });
}

/** Kysely's SQLite dialect, with transactions that begin as their access mode says. */
class NodeSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new NodeSqliteDriver(this.#config);
  }
}

/** SQLite's driver, with transactions that begin as their access mode says. */
class NodeSqliteDriver extends SqliteDriver {
  #readOnly = false;

  override async beginTransaction(
    connection: DatabaseConnection,
    settings?: TransactionSettings,
  ): Promise<void> {
    this.#readOnly = settings?.accessMode === "read only";
    await connection.executeQuery(CompiledQuery.raw(this.#readOnly ? "begin" : "begin immediate"));
    // Refused writes, as PostgreSQL's READ ONLY refuses them; lifted when the transaction ends.
    if (this.#readOnly) await connection.executeQuery(CompiledQuery.raw("pragma query_only = on"));
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#ending(connection, () => super.commitTransaction(connection));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#ending(connection, () => super.rollbackTransaction(connection));
  }

  async #ending(connection: DatabaseConnection, end: () => Promise<void>): Promise<void> {
    try {
      await end();
    } finally {
      if (this.#readOnly) {
        this.#readOnly = false;
        await connection.executeQuery(CompiledQuery.raw("pragma query_only = off"));
      }
    }
  }
}

function adaptDatabase(db: DatabaseSync, cacheSize: number): SqliteDatabase {
  const cache = preparedBySql(cacheSize, (sql) => adaptStatement(db.prepare(sql)));
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare: cache.get,
  };
}

/**
 * Prepared statements cached by SQL text, at most `size` of them (the oldest prepared is dropped
 * first): repeated queries become a lookup instead of a compile.
 */
export function preparedBySql<Statement>(
  size: number,
  prepare: (sql: string) => Statement,
): { get(sql: string): Statement; clear(): void } {
  const cache = new Map<string, Statement>();
  return {
    get: (sql) => {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
    clear: () => cache.clear(),
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
