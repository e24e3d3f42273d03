import assert from "node:assert/strict";
import { commitThread } from "../../src/data/commit_thread.ts";
import { DatabaseSync } from "node:sqlite";
import { databaseFileOf, openDatabase } from "../../src/data/database.ts";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { isUniqueViolation } from "../../src/data/users.ts";
import { pragma, userRow } from "../helpers/database.ts";

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

const event = (db: ReturnType<typeof openDatabase>, name: string) =>
  db.insertInto("audit_events").values({ event: name, created_at: "2026-11-23T00:00:00.000Z" });

Deno.test("CommitThread commits a batch on its own connection, all of it or none", async (t) => {
  await using f = await fixture();

  await t.step(
    "results come back in order, and the commit is visible once it resolves",
    async () => {
      const version = () => pragma(f.db, "data_version");
      const before = await version();
      const results = await f.commits.commit([
        event(f.db, "a"),
        event(f.db, "b").returning(["id", "event"]),
        f.db.updateTable("audit_events").set({ ip_address: "127.0.0.1" }).where("event", "in", [
          "a",
          "b",
        ]),
      ]);
      assert.equal(results.length, 3);
      assert.equal(results[0].numAffectedRows, 1n);
      assert.equal(typeof results[0].insertId, "bigint");
      assert.deepEqual(results[1].rows, [{ id: Number(results[0].insertId) + 1, event: "b" }]);
      assert.equal(results[2].numAffectedRows, 2n);
      assert.deepEqual(await f.events(), ["a", "b"]);
      // `data_version` moves only for commits by another connection: the batch did not run on ours.
      assert.notEqual(await version(), before);
    },
  );

  await t.step("a failing statement rolls back the statements before it", async () => {
    await f.db.insertInto("users").values(userRow("u1")).execute();
    const sameEmail = userRow("u2", { email: "u1@example.com" });
    await assert.rejects(
      f.commits.commit([event(f.db, "c"), f.db.insertInto("users").values(sameEmail)]),
      (error) => isUniqueViolation(error),
    );
    assert.deepEqual(await f.events(), ["a", "b"]);
    await f.commits.commit([event(f.db, "d")]);
    assert.deepEqual(await f.events(), ["a", "b", "d"], "the connection is usable after a failure");
  });
});

Deno.test("a transaction on the serving connection is never failed by a commit from the CommitThread", async () => {
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
      assert.throws(() => probe.exec("BEGIN IMMEDIATE"), /locked|busy/i, "the write lock is held");
    } finally {
      probe.close();
    }
    await event(trx, `after seeing ${seen.length}`).execute();
  });
  await batch;
  assert.deepEqual(await f.events(), ["warm-up", "after seeing 1", "from the commit thread"]);
});
