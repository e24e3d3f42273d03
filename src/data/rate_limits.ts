import { createHash } from "node:crypto";
import type { Db } from "./database.ts";

/**
 * A window's key as stored: SHA-256 of the limiter's key, which names a member, an address or an
 * email (`pw-fail:user:<id>|<ip>`). The table then holds no personal data: nothing for the purge
 * to remove or the export to show, and nothing for a reader of the database to learn.
 */
function storedKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** One fixed window: how many events it has counted and when (epoch ms) it ends. */
export interface RateLimitWindow {
  count: number;
  resetAt: number;
}

/**
 * Rate-limit windows kept in the database, so every instance on it counts together: the
 * `RateLimitStore` of the services' `RateLimiter` when Vestibule runs on PostgreSQL. Each method
 * is one statement; an attempt is one atomic insert-or-increment (never a read then a write), so
 * of any number of concurrent attempts on any instances, exactly `limit` see a count within it.
 */
export class DatabaseRateLimitStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Adds one to `key`'s window, first starting a new window of `windowMs` when there is none or it
   * ended at or before `now`; returns the window after the increment.
   */
  async increment(key: string, windowMs: number, now: number): Promise<RateLimitWindow> {
    const at = new Date(now).toISOString();
    const resetAt = new Date(now + windowMs).toISOString();
    const row = await this.#db.insertInto("rate_limits")
      .values({ key: storedKey(key), count: 1, reset_at: resetAt })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet((eb) => {
          const ended = eb("rate_limits.reset_at", "<=", at);
          return {
            count: eb.case().when(ended).then(1).else(eb("rate_limits.count", "+", 1)).end(),
            reset_at: eb.case().when(ended).then(eb.ref("excluded.reset_at"))
              .else(eb.ref("rate_limits.reset_at")).end(),
          };
        })
      )
      .returning(["count", "reset_at"])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), resetAt: Date.parse(row.reset_at) };
  }

  /** The window of each key that is still running at `now` (undefined for the others), in order. */
  async get(keys: readonly string[], now: number): Promise<(RateLimitWindow | undefined)[]> {
    if (keys.length === 0) return [];
    const stored = keys.map(storedKey);
    const rows = await this.#db.selectFrom("rate_limits").select(["key", "count", "reset_at"])
      .where("key", "in", stored).where("reset_at", ">", new Date(now).toISOString())
      .execute();
    const windows = new Map(
      rows.map((row) => [row.key, { count: Number(row.count), resetAt: Date.parse(row.reset_at) }]),
    );
    return stored.map((key) => windows.get(key));
  }

  /** Forgets `key`. */
  async delete(key: string): Promise<void> {
    await this.#db.deleteFrom("rate_limits").where("key", "=", storedKey(key)).execute();
  }
}

/** Deletes the windows that ended at or before `now`; returns how many. */
export async function pruneRateLimits(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom("rate_limits").where("reset_at", "<=", now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
