import { sql } from "kysely";
import type { Db } from "./database.ts";
import { columnsOf } from "./dialect.ts";

export { columnsOf, listTables } from "./dialect.ts";

/** Every row of `table` whose `column` equals `value`, as plain objects of its columns. */
export async function rowsWhere(
  db: Db,
  table: string,
  column: string,
  value: string,
): Promise<Record<string, unknown>[]> {
  const columns = (await columnsOf(db, table)).map((name) => sql.ref(name));
  const { rows } = await sql<Record<string, unknown>>`
    SELECT ${sql.join(columns)} FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ${value}`
    .execute(db);
  return rows.map((row) => ({ ...row }));
}
