import { sql } from "kysely";
import type { Db } from "./database.ts";
import { columnsOf, isPostgres, listTables, readTransaction, resetIdentity } from "./dialect.ts";
import { migrateToLatest } from "./migrate.ts";

/** What `copyDatabase` copied and checked. */
export interface CopyReport {
  /** Rows per table, in the order copied (parents before children): source, then copy. */
  tables: { table: string; source: number; copied: number }[];
  /** Ledger accounts whose ledger sum, balance and (for a member) lot remainders agree. */
  ledger: { accounts: number; violations: number };
}

/** Raised when the copy cannot start or does not verify; the message says why. */
export class CopyError extends Error {
  override name = "CopyError";
}

const BATCH_PARAMETERS = 30_000; // well under PostgreSQL's 65,535 parameters per statement

/**
 * Copies every table of a SQLite database into an empty PostgreSQL one: the target is migrated
 * first, then every row goes over in one transaction, parents before children (the order is read
 * from the schema's foreign keys, so tables added later are included), in insertion order, ids
 * kept and identity sequences moved past them. Reads come from one snapshot of the source. Then
 * row counts are compared table by table and the ledger invariant is checked on the copy (ledger
 * sum = account balance = sum of lot remainders, for every member); any difference rolls the
 * whole copy back.
 * @throws {CopyError} when the target already holds rows, or the copy does not verify
 */
export async function copyDatabase(source: Db, target: Db): Promise<CopyReport> {
  if (isPostgres(source) || !isPostgres(target)) {
    throw new CopyError("copy-database copies a SQLite database into a PostgreSQL one");
  }
  await migrateToLatest(source);
  await migrateToLatest(target);
  const tables = await dependencyOrder(source);
  const targetTables = new Set(await listTables(target));
  for (const table of tables) {
    if (!targetTables.has(table)) throw new CopyError(`the target has no table ${table}`);
    if (await countRows(target, table) > 0) {
      throw new CopyError(`the target is not empty: ${table} holds rows`);
    }
  }
  return await readTransaction(source, (snapshot) =>
    target.transaction().execute(async (trx) => {
      const report: CopyReport = { tables: [], ledger: { accounts: 0, violations: 0 } };
      for (const table of tables) {
        const columns = await columnsOf(snapshot, table);
        const rows = await sql<Record<string, unknown>>`
          SELECT ${sql.join(columns.map((c) => sql.ref(c)))} FROM ${sql.table(table)}
          ORDER BY rowid`.execute(snapshot).catch(() =>
          // WITHOUT ROWID tables have no rowid: their primary key orders them.
          sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}`.execute(snapshot)
        );
        const perBatch = Math.max(1, Math.floor(BATCH_PARAMETERS / columns.length));
        for (let i = 0; i < rows.rows.length; i += perBatch) {
          const batch = rows.rows.slice(i, i + perBatch);
          await sql`INSERT INTO ${sql.table(table)} (${
            sql.join(columns.map((c) => sql.ref(c)))
          }) VALUES ${
            sql.join(batch.map((row) => sql`(${sql.join(columns.map((c) => row[c] ?? null))})`))
          }`.execute(trx);
        }
        if (columns.includes("id")) await resetIdentity(trx, table, "id");
        const copied = await countRows(trx, table);
        report.tables.push({ table, source: rows.rows.length, copied });
        if (copied !== rows.rows.length) {
          throw new CopyError(`${table}: ${rows.rows.length} rows read, ${copied} in the copy`);
        }
      }
      report.ledger = await checkLedgers(trx);
      if (report.ledger.violations > 0) {
        throw new CopyError(`${report.ledger.violations} ledger accounts do not add up`);
      }
      return report;
    }));
}

async function countRows(db: Db, table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)}`
    .execute(db);
  return Number(rows[0].n);
}

/** The tables of a SQLite database, every table after the tables its foreign keys point at. */
async function dependencyOrder(db: Db): Promise<string[]> {
  const tables = await listTables(db);
  const parents = new Map<string, Set<string>>();
  for (const table of tables) {
    const { rows } = await sql<{ table: string }>`
      SELECT "table" FROM pragma_foreign_key_list(${table})`.execute(db);
    parents.set(table, new Set(rows.map((row) => row.table).filter((p) => p !== table)));
  }
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table)) return;
    if (path.has(table)) throw new CopyError(`foreign keys form a cycle through ${table}`);
    path.add(table);
    for (const parent of parents.get(table) ?? []) visit(parent, path);
    path.delete(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table, new Set());
  return ordered;
}

/**
 * The ledger invariant over every account: ledger sum = balance, and for an account that still
 * has its member, balance = the sum of that member's lot remainders.
 */
export async function checkLedgers(db: Db): Promise<{ accounts: number; violations: number }> {
  const rows = await db.selectFrom("credit_accounts as a")
    .select((eb) => [
      "a.balance",
      "a.user_id",
      eb.fn.coalesce(
        eb.selectFrom("credit_transactions as t").select((e) =>
          e.fn.sum<number>("t.amount").as("s")
        )
          .whereRef("t.account_id", "=", "a.id"),
        eb.lit(0),
      ).as("ledger"),
      eb.fn.coalesce(
        eb.selectFrom("credit_lots as l").select((e) => e.fn.sum<number>("l.remaining").as("s"))
          .whereRef("l.user_id", "=", "a.user_id"),
        eb.lit(0),
      ).as("lots"),
    ]).execute();
  const violations = rows.filter((row) =>
    Number(row.ledger) !== row.balance ||
    (row.user_id !== null && Number(row.lots) !== row.balance)
  ).length;
  return { accounts: rows.length, violations };
}
