import { type Selectable, sql } from "kysely";
import type { CreditLotsTable, Db } from "./database.ts";

/** A credit lot as stored. */
export type CreditLotRow = Selectable<CreditLotsTable>;

/** Inserts a lot. */
export async function insertLot(
  db: Db,
  lot: Omit<CreditLotRow, "expired">,
): Promise<CreditLotRow> {
  return await db.insertInto("credit_lots").values(lot).returningAll().executeTakeFirstOrThrow();
}

/** Every lot of the member, newest first. */
export async function listLots(db: Db, userId: string): Promise<CreditLotRow[]> {
  return await db.selectFrom("credit_lots").selectAll().where("user_id", "=", userId)
    .orderBy("created_at", "desc").orderBy(sql`rowid`, "desc").execute();
}

/**
 * The member's lots that can be spent at `now`, in the order debits take them: soonest expiry
 * first, lots that never expire last, then oldest first (insertion order breaks exact ties).
 */
export async function spendableLots(db: Db, userId: string, now: string): Promise<CreditLotRow[]> {
  return await db.selectFrom("credit_lots").selectAll()
    .where("user_id", "=", userId)
    .where("remaining", ">", 0)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy(sql`expires_at is null`).orderBy("expires_at").orderBy("created_at")
    .orderBy(sql`rowid`)
    .execute();
}

/** The member's lots past their expiry that still hold credits, oldest expiry first. */
export async function dueLots(db: Db, userId: string, now: string): Promise<CreditLotRow[]> {
  return await db.selectFrom("credit_lots").selectAll()
    .where("user_id", "=", userId)
    .where("remaining", ">", 0)
    .where("expires_at", "is not", null)
    .where("expires_at", "<=", now)
    .orderBy("expires_at").orderBy("created_at").orderBy(sql`rowid`)
    .execute();
}

/** Up to `limit` members who have lots past their expiry still holding credits. */
export async function membersWithDueLots(db: Db, now: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom("credit_lots").select("user_id").distinct()
    .where("remaining", ">", 0)
    .where("expires_at", "is not", null)
    .where("expires_at", "<=", now)
    .limit(limit)
    .execute();
  return rows.map((row) => row.user_id);
}

/**
 * Takes `amount` from a lot, only if it holds that much. Returns whether it did; a `false` means
 * the caller's view of the lot was stale and its transaction must not commit.
 */
export async function takeFromLot(db: Db, id: string, amount: number): Promise<boolean> {
  const result = await db.updateTable("credit_lots")
    .set((eb) => ({ remaining: eb("remaining", "-", amount) }))
    .where("id", "=", id).where("remaining", ">=", amount)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Gives `amount` back to a lot (a refund). */
export async function restoreToLot(db: Db, id: string, amount: number): Promise<void> {
  await db.updateTable("credit_lots")
    .set((eb) => ({ remaining: eb("remaining", "+", amount) }))
    .where("id", "=", id)
    .execute();
}

/** Writes off what a lot still holds: `remaining` moves to `expired`. */
export async function writeOffLot(db: Db, id: string): Promise<void> {
  await db.updateTable("credit_lots")
    .set((eb) => ({ expired: eb("expired", "+", eb.ref("remaining")), remaining: 0 }))
    .where("id", "=", id)
    .execute();
}

/** What the member's lots past expiry still hold, not yet written off by the expiry. */
export async function pendingExpiry(db: Db, userId: string, now: string): Promise<number> {
  const row = await db.selectFrom("credit_lots")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("remaining"), eb.lit(0)).as("amount"))
    .where("user_id", "=", userId)
    .where("remaining", ">", 0)
    .where("expires_at", "is not", null)
    .where("expires_at", "<=", now)
    .executeTakeFirstOrThrow();
  return Number(row.amount);
}
