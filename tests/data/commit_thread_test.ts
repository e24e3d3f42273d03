import assert from "node:assert/strict";
import { commitThread, commitThreadFor } from "../../src/data/commit_thread.ts";
import { DatabaseSync } from "node:sqlite";
import { databaseFileOf, type Db, openDatabase } from "../../src/data/database.ts";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { isUniqueViolation } from "../../src/data/users.ts";
import { pragma, userRow } from "../helpers/database.ts";
import { onPostgres, openTestDatabase } from "../helpers/test_database.ts";

async function fixture() {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/v.sqlite`;
  const db = openDatabase(file);
  await migrateToLatest(db);
  const commits = commitThread(file);
  return {
    db,
    commits,
    events: async () =>
      (await db.selectFrom("audit_events").select("event").orderBy("id").execute())
        .map((row) => row.event),
    [Symbol.asyncDispose]: async () => {
      commits.close();
      await db.destroy();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const event = (db: Db, name: string) =>
  db.insertInto("audit_events").values({ event: name, created_at: "2026-11-23T00:00:00.000Z" });

const sessionRow = (id: string, userId: string) => ({
  id,
  user_id: userId,
  user_agent: null,
  ip_address: null,
  created_at: "2026-11-23T00:00:00.000Z",
  last_used_at: "2026-11-23T00:00:00.000Z",
  expires_at: "2026-12-23T00:00:00.000Z",
  revoked_at: null,
  revoked_reason: null,
});

Deno.test("a batch commits all of its writes or none, on either database", async (t) => {
  const database = await openTestDatabase();
  const db = database.db;
  await migrateToLatest(db);
  const commits = commitThreadFor(db);
  const events = async () =>
    (await db.selectFrom("audit_events").select("event").orderBy("event").execute())
      .map((row) => row.event);
  try {
    await db.insertInto("users").values(userRow("u1")).execute();

    await t.step("a session, its refresh token (a foreign key to it) and an event", async () => {
      await commits.commit([
        event(db, "a"),
        db.insertInto("sessions").values(sessionRow("s1", "u1")),
        db.insertInto("refresh_tokens").values({
          session_id: "s1",
          token_hash: "h1",
          created_at: "2026-11-23T00:00:00.000Z",
          expires_at: "2026-12-23T00:00:00.000Z",
        }),
      ]);
      assert.deepEqual(await events(), ["a"]);
      const token = await db.selectFrom("refresh_tokens").select("session_id")
        .where("token_hash", "=", "h1").executeTakeFirst();
      assert.equal(token?.session_id, "s1");
    });

    await t.step("a failing write leaves nothing of its batch, before or after it", async () => {
      await assert.rejects(
        commits.commit([
          event(db, "b"),
          db.insertInto("users").values(userRow("u2", { email: "u1@example.com" })),
          event(db, "c"),
        ]),
        (error) => isUniqueViolation(error),
      );
      await assert.rejects(
        commits.commit([
          event(db, "d"),
          db.insertInto("refresh_tokens").values({
            session_id: "no-such-session",
            token_hash: "h2",
            created_at: "2026-11-23T00:00:00.000Z",
            expires_at: "2026-12-23T00:00:00.000Z",
          }),
        ]),
        /foreign key/i,
      );
      assert.deepEqual(await events(), ["a"]);
      await commits.commit([event(db, "e")]);
      assert.deepEqual(await events(), ["a", "e"], "the committer is usable after a failure");
      await commits.commit([]);
      assert.deepEqual(await events(), ["a", "e"], "an empty batch is no error and writes nothing");
    });
  } finally {
    commits.close();
    await database.close();
  }
});

Deno.test({
  name: "on SQLite the batch commits on the CommitThread's own connection",
  ignore: onPostgres,
  fn: async () => {
    await using f = await fixture();
    const version = () => pragma(f.db, "data_version");
    const before = await version();
    await f.commits.commit([event(f.db, "a"), event(f.db, "b")]);
    assert.deepEqual(await f.events(), ["a", "b"], "visible once the promise resolves");
    // `data_version` moves only for commits by another connection: the batch did not run on ours.
    assert.notEqual(await version(), before);
  },
});

Deno.test({
  name: "a transaction on the serving connection is never failed by a commit from the CommitThread",
  ignore: onPostgres,
  fn: async () => {
    await using f = await fixture();
    await f.commits.commit([event(f.db, "warm-up")]); // the Worker is started and ready
    const file = databaseFileOf(f.db)!;

    // The transaction reads, then lets the CommitThread try to commit, then writes. Had it not
    // taken the write lock at BEGIN, that commit could land in between and its write would fail
    // with SQLITE_BUSY (its snapshot is stale). The synchronisation point is the lock itself: while
    // the transaction is open, a third connection that will not wait is refused the write lock,
    // so the batch cannot commit before the transaction does, however soon its Worker gets there.
    let batch: Promise<unknown> | undefined;
    await f.db.transaction().execute(async (trx) => {
      const seen = await trx.selectFrom("audit_events").select("event").execute();
      batch = f.commits.commit([event(f.db, "from the commit thread")]);
      const probe = new DatabaseSync(file);
      try {
        probe.exec("PRAGMA busy_timeout = 0");
        assert.throws(
          () => probe.exec("BEGIN IMMEDIATE"),
          /locked|busy/i,
          "the write lock is held",
        );
      } finally {
        probe.close();
      }
      await event(trx, `after seeing ${seen.length}`).execute();
    });
    await batch;
    assert.deepEqual(await f.events(), ["warm-up", "after seeing 1", "from the commit thread"]);
  },
});
