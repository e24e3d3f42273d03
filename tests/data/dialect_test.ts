import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import * as accounts from "../../db/migrations/2026_11_23_0001_accounts.ts";
import * as email from "../../db/migrations/2026_11_23_0002_email.ts";
import * as credits from "../../db/migrations/2026_11_23_0003_credits.ts";
import { openDatabase } from "../../src/data/database.ts";
import {
  backupTo,
  columnsOf,
  isPostgres,
  isUniqueViolation,
  listTables,
  readTransaction,
  UnsupportedOnPostgresError,
  writeTransaction,
} from "../../src/data/dialect.ts";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { openPostgres } from "../../src/data/postgres.ts";
import { userRow } from "../helpers/database.ts";
import { onPostgres, openTestDatabase, testDatabaseUrl } from "../helpers/test_database.ts";

Deno.test("the portable migrations write exactly the SQLite schema they wrote before PostgreSQL", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = openDatabase(`${dir}/schema.sqlite`);
    const migrations = {
      "2026_11_23_0001_accounts": accounts,
      "2026_11_23_0002_email": email,
      "2026_11_23_0003_credits": credits,
    };
    const { error } = await new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(migrations) },
    }).migrateToLatest();
    assert.equal(error, undefined);
    await db.destroy();
    const file = new DatabaseSync(`${dir}/schema.sqlite`);
    const schema = file.prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'kysely%' ORDER BY name",
    ).all().map((row) => JSON.stringify(row));
    file.close();
    const expected = (await Deno.readTextFile(
      new URL("./fixtures/sqlite_schema_2026_11_23.jsonl", import.meta.url),
    )).trim().split("\n");
    assert.deepEqual(schema, expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("one schema on both: emails unique case-insensitively, ids numbered, counts are numbers", async () => {
  const { db, close } = await openTestDatabase();
  try {
    await migrateToLatest(db);
    assert.equal(isPostgres(db), onPostgres);
    await db.insertInto("users").values(userRow("a", { email: "ann@example.com" })).execute();
    const error = await db.insertInto("users").values(userRow("b", { email: "ANN@example.com" }))
      .execute().catch((e) => e);
    assert.ok(isUniqueViolation(error), String(error));
    const found = await db.selectFrom("users").select("id").where("email", "=", "Ann@Example.COM")
      .executeTakeFirst();
    assert.equal(found?.id, "a");

    const ids = [];
    for (const event of ["one", "two"]) {
      const row = await db.insertInto("audit_events")
        .values({ event, created_at: "2026-11-23T00:00:00.000Z" }).returning("id")
        .executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    assert.equal(ids[1], ids[0] + 1);
    const { n } = await db.selectFrom("audit_events")
      .select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    assert.equal(n, 2, "count(*) is a number on both");

    const tables = await listTables(db);
    assert.ok(tables.includes("users") && tables.includes("credit_transactions"), String(tables));
    assert.ok(!tables.some((table) => table.startsWith("kysely")));
    assert.deepEqual((await columnsOf(db, "jobs")).slice(0, 3), ["id", "user_id", "kind"]);
    assert.ok(!(await columnsOf(db, "jobs")).includes("rowid"), "insertion order stays hidden");
  } finally {
    await close();
  }
});

Deno.test("write transactions run one at a time; read transactions see one snapshot", async () => {
  const { db, close } = await openTestDatabase();
  try {
    await migrateToLatest(db);
    await db.insertInto("users").values(userRow("counter", { name: "0" })).execute();
    // 20 read-then-write increments at once: none is lost.
    await Promise.all(Array.from({ length: 20 }, () =>
      writeTransaction(db, async (trx) => {
        const { name } = await trx.selectFrom("users").select("name").where("id", "=", "counter")
          .executeTakeFirstOrThrow();
        await new Promise((resolve) => setTimeout(resolve, 1));
        await trx.updateTable("users").set({ name: String(Number(name) + 1) })
          .where("id", "=", "counter").execute();
      })));
    const row = await db.selectFrom("users").select("name").where("id", "=", "counter")
      .executeTakeFirstOrThrow();
    assert.equal(row.name, "20");

    const seen = await readTransaction(db, async (trx) => {
      const first = await trx.selectFrom("users").select("name").executeTakeFirstOrThrow();
      return first.name;
    });
    assert.equal(seen, "20");
    const refused = await readTransaction(
      db,
      (trx) => trx.updateTable("users").set({ name: "x" }).execute(),
    ).catch((e) => e);
    assert.ok(refused instanceof Error, "a read transaction cannot write");
    const after = await db.selectFrom("users").select("name").executeTakeFirstOrThrow();
    assert.equal(after.name, "20");
  } finally {
    await close();
  }
});

Deno.test("backup copies SQLite and points PostgreSQL at pg_dump", async () => {
  const { db, close } = await openTestDatabase();
  const dir = await Deno.makeTempDir();
  try {
    await migrateToLatest(db);
    const file = `${dir}/copy.sqlite`;
    if (onPostgres) {
      await assert.rejects(backupTo(db, file), (error: Error) => {
        assert.ok(error instanceof UnsupportedOnPostgresError);
        assert.match(error.message, /pg_dump/);
        return true;
      });
      await assert.rejects(Deno.lstat(file), Deno.errors.NotFound);
    } else {
      await backupTo(db, file);
      assert.ok((await Deno.lstat(file)).size > 0);
    }
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "PostgreSQL over TLS with a pool of several connections",
  ignore: !onPostgres,
  fn: async () => {
    const tls = /sslmode=(require|verify-ca|verify-full)/.test(testDatabaseUrl ?? "");
    const db = openPostgres(testDatabaseUrl!, 4);
    try {
      // Four statements held open at once need four connections.
      const rows = await Promise.all(
        Array.from({ length: 4 }, async () =>
          (await sql<{ pid: number; ssl: boolean | null }>`
          SELECT pg_backend_pid() AS pid,
                 (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl,
                 pg_sleep(0.2)::text AS slept`.execute(db)).rows[0]),
      );
      assert.equal(new Set(rows.map((row) => row.pid)).size, 4);
      if (tls) assert.deepEqual(rows.map((row) => row.ssl), [true, true, true, true]);
      else console.warn("TEST_DATABASE_URL asks for no TLS: only the pool was tested");
    } finally {
      await db.destroy();
    }
  },
});
