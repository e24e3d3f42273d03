import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { type Db, openDatabase } from "../../src/data/database.ts";
import { LiveSessionCache, liveSessionCacheOf } from "../../src/data/live_session_cache.ts";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { findLiveSessionUser } from "../../src/data/sessions.ts";
import { userRow } from "../helpers/database.ts";

const T0 = "2026-11-23T10:00:00.000Z";
const USERS = ["u0", "u1", "u2"];
/** Two sessions per member; each expires at a different minute past T0. */
const SESSIONS = USERS.flatMap((user, i) =>
  [`${user}-a`, `${user}-b`].map((id, j) => ({
    id,
    user,
    expiresAt: minutesAfterT0(1 + i * 2 + j),
  }))
);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function minutesAfterT0(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

async function seeded(path: string): Promise<Db> {
  const db = openDatabase(path);
  await migrateToLatest(db);
  await db.insertInto("users").values(
    USERS.map((id) => userRow(id, { name: `Name ${id}`, created_at: T0, updated_at: T0 })),
  ).execute();
  await db.insertInto("sessions").values(SESSIONS.map((s) => ({
    id: s.id,
    user_id: s.user,
    created_at: T0,
    last_used_at: T0,
    expires_at: s.expiresAt,
  }))).execute();
  return db;
}

/** The same read without the cache: a transaction handle has none. */
function uncached(db: Db, sessionId: string, now: string) {
  return db.transaction().execute((trx) => findLiveSessionUser(trx, sessionId, now));
}

async function withDatabases(
  run: (db: Db, other: Db, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vestibule-cache-" });
  const db = await seeded(`${dir}/v.sqlite`);
  const other = openDatabase(`${dir}/v.sqlite`);
  try {
    await run(db, other, `${dir}/v.sqlite`);
  } finally {
    await other.destroy();
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the live-session read is cached, and every kind of change reaches the next read", async (t) => {
  await withDatabases(async (db, other) => {
    const cache = liveSessionCacheOf(db)!;
    const read = (id: string, now = T0) => findLiveSessionUser(db, id, now);

    await t.step("a read fills the cache; the next one is answered from it", async () => {
      assert.equal(cache.get("u0-a", T0), undefined);
      const row = await read("u0-a");
      assert.equal(row?.name, "Name u0");
      assert.equal(cache.get("u0-a", T0), row);
      assert.ok(row !== undefined && !("password_hash" in row), "no hash is read or kept");
    });

    await t.step("revoking a session on this connection drops it at once", async () => {
      await read("u0-b");
      await db.updateTable("sessions").set({ revoked_at: T0 }).where("id", "=", "u0-b").execute();
      assert.equal(cache.get("u0-b", T0), undefined);
      assert.equal(await read("u0-b"), undefined);
    });

    await t.step("changing a member drops all their sessions", async () => {
      await read("u1-a");
      await read("u1-b");
      await db.updateTable("users").set({ role: "admin" }).where("id", "=", "u1").execute();
      assert.equal((await read("u1-a"))?.role, "admin");
      assert.equal((await read("u1-b"))?.role, "admin");
    });

    await t.step("deleting a member (sessions cascade) leaves nothing to serve", async () => {
      await read("u2-a");
      await db.deleteFrom("users").where("id", "=", "u2").execute();
      assert.equal(await read("u2-a"), undefined);
    });

    await t.step("a change rolled back costs a read and serves the committed row", async () => {
      await read("u0-a");
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.updateTable("users").set({ name: "Rolled back" }).where("id", "=", "u0")
            .execute();
          throw new Error("roll back");
        }),
      );
      assert.equal((await read("u0-a"))?.name, "Name u0");
    });

    await t.step("another connection's commit reaches reads a millisecond later", async () => {
      await read("u0-a");
      await other.updateTable("users").set({ name: "From the CLI" }).where("id", "=", "u0")
        .execute();
      await delay(2);
      assert.equal((await read("u0-a"))?.name, "From the CLI");
      await other.updateTable("sessions").set({ revoked_at: T0 }).where("id", "=", "u0-a")
        .execute();
      await delay(2);
      assert.equal(await read("u0-a"), undefined);
    });

    await t.step("a session past its expiry is never served", async () => {
      await read("u1-a");
      const expiry = SESSIONS.find((s) => s.id === "u1-a")!.expiresAt;
      assert.equal(cache.get("u1-a", expiry), undefined);
      assert.equal(await read("u1-a", expiry), undefined);
    });

    await t.step("a row read before a change is not stored after it", async () => {
      const epoch = cache.epoch;
      const stale = await uncached(db, "u1-b", T0);
      await db.updateTable("sessions").set({ last_used_at: T0 }).where("id", "=", "u1-b")
        .execute();
      cache.set("u1-b", stale!, epoch);
      assert.equal(cache.get("u1-b", T0), undefined);
    });
  });
});

Deno.test("LiveSessionCache keeps at most its size, dropping the oldest row", () => {
  const sqlite = new DatabaseSync(":memory:");
  sqlite.exec(
    "CREATE TABLE users (id TEXT PRIMARY KEY); CREATE TABLE sessions (id TEXT PRIMARY KEY)",
  );
  const cache = new LiveSessionCache(sqlite, { maxEntries: 2 });
  const row = (id: string) => ({ id, session_expires_at: minutesAfterT0(60) });
  for (const id of ["s1", "s2", "s3"]) {
    assert.equal(cache.get(id, T0), undefined);
    cache.set(id, row("u"), cache.epoch);
  }
  assert.equal(cache.get("s1", T0), undefined);
  assert.deepEqual(cache.get("s3", T0), row("u"));
  sqlite.exec("INSERT INTO users VALUES ('u'); UPDATE users SET id = id");
  assert.equal(cache.get("s2", T0), undefined);
  assert.equal(cache.get("s3", T0), undefined);
  sqlite.close();
});

type Step =
  | { kind: "read"; session: number }
  | { kind: "rename"; user: number; other: boolean }
  | { kind: "revoke"; session: number; other: boolean }
  | { kind: "delete"; user: number }
  | { kind: "time"; minutes: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("read" as const), session: fc.nat(5) }) },
  fc.record({ kind: fc.constant("rename" as const), user: fc.nat(2), other: fc.boolean() }),
  fc.record({ kind: fc.constant("revoke" as const), session: fc.nat(5), other: fc.boolean() }),
  fc.record({ kind: fc.constant("delete" as const), user: fc.nat(2) }),
  fc.record({ kind: fc.constant("time" as const), minutes: fc.integer({ min: 0, max: 3 }) }),
);

Deno.test("property: the cached read always equals a fresh read, whatever changes in between", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
      await withDatabases(async (db, other) => {
        let minutes = 0;
        let renames = 0;
        for (const s of steps) {
          const writer = "other" in s && s.other ? other : db;
          if (s.kind === "rename") {
            await writer.updateTable("users").set({ name: `Name ${renames++}` })
              .where("id", "=", USERS[s.user]).execute();
          } else if (s.kind === "revoke") {
            await writer.updateTable("sessions").set({ revoked_at: T0 })
              .where("id", "=", SESSIONS[s.session].id).execute();
          } else if (s.kind === "delete") {
            await db.deleteFrom("users").where("id", "=", USERS[s.user]).execute();
          } else if (s.kind === "time") {
            minutes += s.minutes;
          }
          // Reads of the same millisecond may share one look at other connections' commits.
          if (writer === other) await delay(2);
          const now = minutesAfterT0(minutes);
          for (const session of SESSIONS) {
            const fresh = await uncached(db, session.id, now);
            const cached = await findLiveSessionUser(db, session.id, now);
            assert.deepEqual(cached && { ...cached }, fresh && { ...fresh });
          }
        }
      });
    }),
    { numRuns: 40 },
  );
});
