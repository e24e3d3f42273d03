import { PostgresAdapter, sql } from "kysely";
import type { Db } from "./database.ts";
import { liveSessionCacheOf } from "./live_session_cache.ts";

// Everything Vestibule says differently to SQLite and to PostgreSQL, in one place, each named for
// what it does. Services and routers call these (through src/data) and never learn which database
// they are on.

/** Whether this handle (or transaction) talks to PostgreSQL; otherwise it is SQLite. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * One arbitrary but fixed key for `pg_advisory_xact_lock`: the lock every write transaction takes
 * first on PostgreSQL (see `writeTransaction`).
 */
const WRITE_LOCK_KEY = 0x7665_7374; // "vest"

/**
 * Runs `work` in a transaction that writes, committed when it resolves and rolled back when it
 * throws. Write transactions run one at a time, whichever process or instance runs them, and
 * each reads what it is about to write over, so the services' read-then-write rules hold:
 * SQLite's `BEGIN IMMEDIATE` takes the write lock when the transaction starts; on PostgreSQL the
 * transaction's first statement takes one transaction-level advisory lock, released at commit.
 * Single statements outside a transaction (a conditional update, a batch of inserts) need no
 * such lock and do not wait for it. On PostgreSQL the handle's live-session cache has seen the
 * transaction's changes when it resolves (see `NotifiedSessionCache.sync`).
 */
export async function writeTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return await db.transaction().execute(work);
  const result = await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`.execute(trx);
    return await work(trx);
  });
  // What the transaction changed reaches this instance's live-session cache before it returns.
  await liveSessionCacheOf(db)?.sync();
  return result;
}

/**
 * Runs `work` in a read-only transaction: every read sees one snapshot of the database, and no
 * lock is taken (SQLite: a deferred `BEGIN`; PostgreSQL: `REPEATABLE READ, READ ONLY`).
 */
export async function readTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  let builder = db.transaction().setAccessMode("read only");
  if (isPostgres(db)) builder = builder.setIsolationLevel("repeatable read");
  return await builder.execute(work);
}

/** Whether an error is the database refusing a duplicate value in a unique column or index. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { code?: unknown }).code === "23505") return true; // PostgreSQL's unique_violation
  return /UNIQUE constraint failed/.test(error.message);
}

/** The application's tables, read from the database itself (so a table added later is included). */
export async function listTables(db: Db): Promise<string[]> {
  const { rows } = isPostgres(db)
    ? await sql<{ name: string }>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
        AND table_name NOT LIKE 'kysely_%'
      ORDER BY table_name`.execute(db)
    : await sql<{ name: string }>`
      SELECT name FROM sqlite_master
      WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'
      ORDER BY name`.execute(db);
  return rows.map((row) => row.name);
}

/**
 * The column names of a table, in their order. PostgreSQL's `rowid` (the insertion order SQLite
 * keeps implicitly, see db/migrations/portable.ts) is left out as SQLite's own is.
 */
export async function columnsOf(db: Db, table: string): Promise<string[]> {
  const { rows } = isPostgres(db)
    ? await sql<{ name: string }>`
      SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ${table} AND column_name <> 'rowid'
      ORDER BY ordinal_position`.execute(db)
    : await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db);
  return rows.map((row) => row.name);
}

/** Raised where a SQLite-only operation is asked of PostgreSQL; the message says what to do. */
export class UnsupportedOnPostgresError extends Error {
  override name = "UnsupportedOnPostgresError";
}

/**
 * Writes a consistent snapshot of a SQLite database to `file` with `VACUUM INTO`, which reads one
 * transaction's view while the server keeps serving.
 * @throws {UnsupportedOnPostgresError} on PostgreSQL, whose own tool (`pg_dump`) is the right one
 */
export async function backupTo(db: Db, file: string): Promise<void> {
  if (isPostgres(db)) {
    throw new UnsupportedOnPostgresError(
      "backup copies SQLite files only; on PostgreSQL use pg_dump (for example " +
        '`pg_dump --format=custom --file=vestibule.dump "$DATABASE_URL"`), which takes a ' +
        "consistent snapshot while the server keeps serving",
    );
  }
  await sql`VACUUM INTO ${file}`.execute(db);
}

/**
 * Locks the rows of the members among `userIds` who are still due for purging, in a write
 * transaction, and returns their ids: of two purges reaching the same member, one takes it and the
 * other skips it rather than waiting (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite's write
 * transactions are serial already).
 */
export async function lockMembersDueForPurge(
  trx: Db,
  userIds: readonly string[],
  now: string,
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  let query = trx.selectFrom("users").select("id")
    .where("id", "in", userIds)
    .where("status", "=", "pending_deletion")
    .where("deletion_date", "<=", now);
  if (isPostgres(trx)) query = query.forUpdate().skipLocked();
  return new Set((await query.execute()).map((row) => row.id));
}

/**
 * Moves an identity column's sequence past the largest value stored, after rows were inserted
 * with their ids (a copy): the next row the database numbers gets a fresh id. SQLite's
 * `AUTOINCREMENT` follows stored ids by itself.
 */
export async function resetIdentity(db: Db, table: string, column: string): Promise<void> {
  if (!isPostgres(db)) return;
  const { rows } = await sql<{ sequence: string | null }>`
    SELECT pg_get_serial_sequence(${table}, ${column}) AS sequence`.execute(db);
  const sequence = rows[0]?.sequence;
  if (!sequence) return;
  await sql`SELECT setval(${sequence}::regclass,
    GREATEST((SELECT max(${sql.ref(column)}) FROM ${sql.table(table)}), 1),
    (SELECT max(${sql.ref(column)}) FROM ${sql.table(table)}) IS NOT NULL)`.execute(db);
}

/**
 * Resolves once every change committed before the call, by any connection, has reached this
 * handle's live-session cache: for a caller that had another connection write (the purge's
 * Worker) and answers next for what it wrote.
 */
export async function syncLiveSessions(db: Db): Promise<void> {
  await liveSessionCacheOf(db)?.sync();
}
