import assert from "node:assert/strict";
import { migrateToLatest } from "../../src/data/migrate.ts";
import { DatabaseRateLimitStore, pruneRateLimits } from "../../src/data/rate_limits.ts";
import { openTestDatabase } from "../helpers/test_database.ts";

Deno.test("DatabaseRateLimitStore counts each attempt atomically, in fixed windows", async () => {
  const { db, close } = await openTestDatabase();
  try {
    await migrateToLatest(db);
    const store = new DatabaseRateLimitStore(db);
    const t0 = Date.parse("2026-11-23T10:00:00.000Z");
    assert.deepEqual(await store.get(["k"], t0), [undefined]);
    assert.deepEqual(await store.get([], t0), [], "no keys: no statement, no windows");
    // 40 attempts at once: each gets its own count, all in one window.
    const windows = await Promise.all(
      Array.from({ length: 40 }, () => store.increment("k", 60_000, t0)),
    );
    assert.deepEqual(
      windows.map((w) => w.count).sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.deepEqual(new Set(windows.map((w) => w.resetAt)), new Set([t0 + 60_000]));
    assert.deepEqual(await store.get(["k", "nothing"], t0 + 59_999), [
      { count: 40, resetAt: t0 + 60_000 },
      undefined,
    ]);
    // The window ends exactly at resetAt: the next attempt starts a new one.
    assert.deepEqual(await store.get(["k"], t0 + 60_000), [undefined]);
    assert.deepEqual(await store.increment("k", 60_000, t0 + 60_000), {
      count: 1,
      resetAt: t0 + 120_000,
    });
    assert.deepEqual(await store.increment("other", 1000, t0), { count: 1, resetAt: t0 + 1000 });
    assert.deepEqual(
      await store.get(["k", "other"], t0 + 500),
      [{ count: 1, resetAt: t0 + 120_000 }, { count: 1, resetAt: t0 + 1000 }],
      "in the order asked",
    );
    await store.delete("k");
    assert.deepEqual(await store.get(["k"], t0 + 60_000), [undefined]);
    assert.equal(await pruneRateLimits(db, new Date(t0 + 1000).toISOString()), 1, "ended: other");
    assert.deepEqual(await store.get(["other"], t0), [undefined]);
  } finally {
    await close();
  }
});
