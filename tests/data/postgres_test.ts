import assert from "node:assert/strict";
import { sql } from "kysely";
import { openPostgres } from "../../src/data/postgres.ts";
import { createTestDatabase, onPostgres } from "../helpers/test_database.ts";

Deno.test({
  name: "PostgreSQL: statements outside a transaction are prepared, once per connection",
  ignore: !onPostgres,
  fn: async (t) => {
    const database = await createTestDatabase();
    // One connection, so that pg_prepared_statements (per connection) shows what ours prepared.
    const db = openPostgres(database.url, 1);
    const plain = openPostgres(database.url, 1, { preparedStatements: false });
    const prepared = async (handle = db) =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`
        .execute(handle)).rows.map((row) => row.statement);
    try {
      await sql`create table shapes (id int primary key)`.execute(db);
      await sql`insert into shapes values (1)`.execute(db);

      await t.step(
        "a statement run twice is prepared, and answers the same each time",
        async () => {
          for (let i = 0; i < 2; i++) {
            assert.deepEqual((await sql`select * from shapes`.execute(db)).rows, [{ id: 1 }]);
          }
          assert.ok((await prepared()).includes("select * from shapes"));
        },
      );

      await t.step("inside a transaction nothing is prepared", async () => {
        const rows = await db.transaction().execute(async (trx) => {
          await sql`savepoint inner_step`.execute(trx);
          await sql`rollback to savepoint inner_step`.execute(trx); // still in the transaction
          return (await sql`select id from shapes where id = ${1}`.execute(trx)).rows;
        });
        assert.deepEqual(rows, [{ id: 1 }]);
        const statements = await prepared();
        assert.ok(!statements.some((s) => s.includes("where id =")), statements.join("\n"));
        assert.ok(!statements.some((s) => s.includes("savepoint")), statements.join("\n"));
      });

      await t.step("a table that changed shape: the statement runs again unnamed", async () => {
        await sql`alter table shapes add column label text not null default 'x'`.execute(db);
        // PostgreSQL refuses the prepared "select *" now (cached plan must not change result type).
        assert.deepEqual((await sql`select * from shapes`.execute(db)).rows, [{
          id: 1,
          label: "x",
        }]);
        assert.deepEqual((await sql`select * from shapes`.execute(db)).rows, [{
          id: 1,
          label: "x",
        }]);
      });

      await t.step("preparedStatements: false prepares nothing", async () => {
        await sql`select count(*) as n from shapes`.execute(plain);
        assert.deepEqual(await prepared(plain), []);
      });
    } finally {
      await db.destroy();
      await plain.destroy();
      await database.drop();
    }
  },
});
