import assert from "node:assert/strict";
import { sql } from "kysely";
import type { Db } from "../../src/data/database.ts";
import { writeTransaction } from "../../src/data/dialect.ts";
import { liveSessionCacheOf } from "../../src/data/live_session_cache.ts";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { NotifiedSessionCache } from "../../src/data/notified_session_cache.ts";
import { openPostgres } from "../../src/data/postgres.ts";
import { findLiveSessionUser } from "../../src/data/sessions.ts";
import { userRow } from "../helpers/database.ts";
import { createTestDatabase, onPostgres } from "../helpers/test_database.ts";

const NOW = "2026-11-23T10:00:00.000Z";

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), "condition never held");
}

/** Changes a member's name without firing the triggers: what the cache cannot know of. */
async function renameUnseen(db: Db, id: string, name: string): Promise<void> {
  await db.connection().execute(async (connection) => {
    await sql`SET session_replication_role = replica`.execute(connection);
    await connection.updateTable("users").set({ name }).where("id", "=", id).execute();
    await sql`SET session_replication_role = DEFAULT`.execute(connection);
  });
}

Deno.test({
  name: "PostgreSQL live-session cache: notified of every instance's changes, empty when deaf",
  ignore: !onPostgres,
  fn: async (t) => {
    const database = await createTestDatabase();
    const a = openPostgres(database.url, 3, { liveSessions: true });
    const b = openPostgres(database.url, 3); // another instance's writes
    try {
      await migrateToLatest(a);
      const cache = liveSessionCacheOf(a) as NotifiedSessionCache<never>;
      await until(() => cache.listening);
      await a.insertInto("users").values(userRow("ann", { name: "Ann" })).execute();
      await a.insertInto("sessions").values({
        id: "s1",
        user_id: "ann",
        created_at: NOW,
        last_used_at: NOW,
        expires_at: "2026-12-23T10:00:00.000Z",
      }).execute();
      const read = async () => (await findLiveSessionUser(a, "s1", NOW))?.name;

      await t.step("reads are served from memory once cached", async () => {
        assert.equal(await read(), "Ann");
        await renameUnseen(b, "ann", "Unseen");
        assert.equal(await read(), "Ann", "answered from the cache");
      });

      await t.step("another instance's revocation reaches the cache", async () => {
        await writeTransaction(
          b,
          (trx) =>
            trx.updateTable("sessions").set({ revoked_at: NOW }).where("id", "=", "s1").execute(),
        );
        await cache.sync(); // every commit before this point has reached the cache
        assert.equal(await read(), undefined);
        await b.updateTable("sessions").set({ revoked_at: null }).where("id", "=", "s1").execute();
        await cache.sync();
        assert.equal(await read(), "Unseen");
      });

      await t.step("this instance's own write transaction is seen when it returns", async () => {
        await writeTransaction(
          a,
          (trx) =>
            trx.updateTable("users").set({ name: "Ann B" }).where("id", "=", "ann").execute(),
        );
        assert.equal(await read(), "Ann B");
      });

      await t.step(
        "a lost listener answers nothing, then empties the cache on reconnecting",
        async () => {
          await renameUnseen(b, "ann", "Missed");
          assert.equal(await read(), "Ann B");
          await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'vestibule-live-sessions' AND datname = current_database()`
            .execute(b);
          await until(() => !cache.listening);
          assert.equal(await read(), "Missed", "read from the database while deaf");
          await until(() => cache.listening);
          assert.equal(await read(), "Missed");
        },
      );
    } finally {
      await a.destroy();
      await b.destroy();
      await database.drop();
    }
  },
});
