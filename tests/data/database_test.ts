import assert from "node:assert/strict";
import { openDatabase } from "../../src/data/database.ts";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { pragma, userRow } from "../helpers/database.ts";

Deno.test("openDatabase() sets WAL, synchronous=FULL, foreign keys and a busy timeout", async () => {
  const dir = await Deno.makeTempDir();
  const db = openDatabase(`${dir}/nested/v.sqlite`);
  try {
    assert.equal(await pragma(db, "journal_mode"), "wal");
    assert.equal(await pragma(db, "synchronous"), 2);
    assert.equal(await pragma(db, "foreign_keys"), 1);
    assert.equal(await pragma(db, "busy_timeout"), 5000);
  } finally {
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrateToLatest() is idempotent and emails are unique case-insensitively", async () => {
  const db = openDatabase(":memory:");
  try {
    await migrateToLatest(db);
    await migrateToLatest(db);
    await db.insertInto("users").values(userRow("a")).execute();
    await assert.rejects(
      db.insertInto("users").values(userRow("b", { email: "A@EXAMPLE.COM" })).execute(),
      /UNIQUE/,
    );
    const found = await db.selectFrom("users").select("id").where("email", "=", "A@Example.com")
      .execute();
    assert.deepEqual(found.map((r) => r.id), ["a"]);
  } finally {
    await db.destroy();
  }
});

Deno.test("the adapter reuses prepared statements and runs transactions atomically", async () => {
  const db = openDatabase(":memory:");
  try {
    await migrateToLatest(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("audit_events").values({ event: "x", created_at: "t" }).execute();
        throw new Error("rollback");
      }),
    );
    const rows = await db.selectFrom("audit_events").selectAll().execute();
    assert.equal(rows.length, 0);
  } finally {
    await db.destroy();
  }
});
