import type { Selectable } from "kysely";
import type { CreditAccountsTable, Db } from "./database.ts";

/** A member's ledger totals and counters. */
export type CreditAccountRow = Selectable<CreditAccountsTable>;

/**
 * Creates the member's credit account if it does not exist yet, and returns it; `undefined` when
 * there is no such user. Its first statement is a write, so a transaction that starts with it
 * holds SQLite's write lock before it reads anything: no other process can commit in between and
 * turn a later write into a busy-snapshot error.
 */
export async function openCreditAccount(
  db: Db,
  userId: string,
): Promise<CreditAccountRow | undefined> {
  await db.insertInto("credit_accounts")
    .columns(["user_id", "balance"])
    .expression((eb) =>
      eb.selectFrom("users").select(["id", eb.lit(0).as("balance")]).where("id", "=", userId)
    )
    .onConflict((oc) => oc.column("user_id").doNothing())
    .execute();
  return await findCreditAccount(db, userId);
}

/** The member's credit account, or `undefined` when the member never held credits. */
export async function findCreditAccount(
  db: Db,
  userId: string,
): Promise<CreditAccountRow | undefined> {
  return await db.selectFrom("credit_accounts").selectAll().where("user_id", "=", userId)
    .executeTakeFirst();
}

/** Writes the account's totals and counters back. */
export async function saveCreditAccount(db: Db, account: CreditAccountRow): Promise<void> {
  const { user_id, ...totals } = account;
  await db.updateTable("credit_accounts").set(totals).where("user_id", "=", user_id).execute();
}
