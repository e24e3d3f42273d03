import { sql } from "kysely";
import type { Db } from "./database.ts";

/** The application's tables, read from SQLite itself (so a table added later is included). */
export async function listTables(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM sqlite_master
    WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'
    ORDER BY name`.execute(db);
  return rows.map((row) => row.name);
}

/** The column names of a table. */
export async function columnsOf(db: Db, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`
    .execute(db);
  return rows.map((row) => row.name);
}

/** Every row of `table` whose `column` equals `value`, as plain objects. */
export async function rowsWhere(
  db: Db,
  table: string,
  column: string,
  value: string,
): Promise<Record<string, unknown>[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT * FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ${value}`.execute(db);
  return rows.map((row) => ({ ...row }));
}
